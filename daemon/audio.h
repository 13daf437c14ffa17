/* Audio streams: each device's microphone (one capture, see capture.h) converted to the
 * rate each client asked for (speexdsp), cut into frames, and queued per client and
 * stream (audio_frames.h: one second at most, oldest dropped first and counted), with
 * audio.started / level / overrun / stopped messages (PROTOCOL.md "Audio").
 *
 * The microphone is open only while some client streams from it. Streams that end because
 * the unit went away or its microphone failed wait for the same device id and restart by
 * themselves when it comes back.
 *
 * Loop thread only. Which devices exist and which microphone each has is the registry's
 * (hub.h): this module finds devices there and keeps only its audio side of each (capture,
 * rate converters, level, route) in the slot the registry has for it; the hub says when
 * a device comes, changes microphone or goes. The server forwards requests, pulls frames
 * when a client can take one, and says when a client is gone. */
#ifndef DICTABRIDGE_DAEMON_AUDIO_H
#define DICTABRIDGE_DAEMON_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/capture.h"
#include "protocol/message.h"

struct client;

/* capture_rate: the config's audio.capture_rate (0: automatic). */
void audio_set_capture_rate(uint32_t capture_rate);

/* The route of device id's microphone as its last capture found it (through the sound
 * server or ALSA, and whether it is the server's default input), or NULL before its first
 * capture. `changed` (may be NULL) is called with the id whenever that changes, so that
 * clients can be told. */
const struct capture_route *audio_device_route(const char *id);
void audio_set_route_listener(void (*changed)(const char *id));

/* Device `id` is in the registry, new or with another microphone: streams waiting for it
 * restart, running ones move to its microphone (they end when it has none). */
void audio_device_present(const char *id);
/* Device `id` is about to leave the registry: its streams end with device_removed and
 * wait for it, and its slot is emptied. */
void audio_device_gone(const char *id);

/* audio.start / audio.stop from c: NULL, or an error JSON for c. */
char *audio_request(struct client *c, const struct pm_request *req);
void audio_client_gone(struct client *c);

/* Copies c's next binary frame into out (cap bytes); returns its length, 0 when c has
 * none queued. Calls server_audio_ready(c) when more remain. */
size_t audio_next_frame(struct client *c, unsigned char *out, size_t cap);

/* Takes what the captures delivered (the loop was woken). */
void audio_drain(void);

/* Ends every stream without messages and closes the microphones; before the registry's
 * devices go (hub_shutdown). */
void audio_shutdown(void);

#endif
