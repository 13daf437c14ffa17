/* The hub routes everything: hidraw nodes → units (one per physical device, grouping
 * its collections) → decoded button / slider / motion changes → keymap → protocol
 * messages → server (commands through the router); and client led requests and the
 * owner's state → LED state → encoder → device.
 * It also pairs each unit with its microphone (audio_pair.c, the config's override), and
 * its announced units are the daemon's one registry of devices (below).
 * Runs on the loop thread only; device threads reach it through the event queue. */
#ifndef DICTABRIDGE_DAEMON_HUB_H
#define DICTABRIDGE_DAEMON_HUB_H

#include "daemon/config.h"
#include "daemon/hotplug.h"
#include "protocol/message.h"

/* cfg must outlive the hub or be replaced with hub_set_config. */
void hub_init(const struct config *cfg);
void hub_set_config(const struct config *cfg);

void hub_node_added(const struct hotplug_node *node);
void hub_node_removed(const char *syspath);
/* A sound device came or went (removed) at `syspath`: re-pairs the unit it belongs to. */
void hub_sound_changed(const char *syspath, bool removed);
/* Processes every event the device threads queued. */
void hub_drain(void);

char *hub_hello(void);
char *hub_status(unsigned clients);
/* A led request: NULL on success, else an error message JSON for the sender. */
char *hub_led(const struct pm_request *req);
/* The reporting app's state the LEDs show (the command owner's, router.c decides): the
 * record LED of every unit, now (written where it changes) and of units plugged in later. */
void hub_show_state(bool recording, bool report_open);

/* A mode request: switches a plugged SpeechMike's event mode (it re-enumerates). NULL
 * on success, else an error message JSON for the sender. */
char *hub_mode(const struct pm_request *req);
/* A press or slide request of client c: input for a virtual unit only (a real unit's
 * buttons come from the hardware alone). NULL on success, else an error JSON. */
struct client;
char *hub_virtual_input(struct client *c, const struct pm_request *req);

/* Client c is closed: releases the virtual buttons it held without a hold time, then
 * forgets its audio streams. */
void hub_client_gone(struct client *c);

/* Adds a virtual unit of `family` (SpeechMike device `code`, 0: generic): announced at
 * once, its input comes from press/slide requests, its LED state goes to clients as
 * `leds` messages. For testing without hardware; it lives until shutdown. */
void hub_add_virtual(int family, uint16_t code);

/* Turns every LED off and stops every device (waits for the writes, bounded). */
void hub_shutdown(void);

/* The registry of devices. A device exists, under its id, from its device.added to its
 * device.removed, with the microphone it is paired with. audio.c keeps its audio side of
 * a device in the device's slot: set by audio.c, emptied by audio_device_gone (the hub
 * calls it before the device goes) or audio_shutdown (called before hub_shutdown). */
struct unit;
struct adev;
struct capture_source;

/* The device with that id, or NULL. */
struct unit *hub_device(const char *id);
/* Every device: hub_device_next(NULL) is the first, NULL follows the last. */
struct unit *hub_device_next(struct unit *u);
const char *hub_device_id(const struct unit *u);
/* The device's microphone, NULL when it has none. */
const struct capture_source *hub_device_mic(const struct unit *u);
/* The device's audio slot (audio.c's). */
struct adev **hub_device_audio(struct unit *u);

#endif
