/* The hand-off from device threads to the event loop: a locked FIFO of device events
 * plus a wake-up of the loop (loop_wake, libwebsockets' lws_cancel_service: the only thread-safe
 * entry into the loop). Bounded: a flood beyond QUEUE_MAX_EVENTS drops the newest
 * events and counts them, so a misbehaving device cannot exhaust memory. */
#ifndef DICTABRIDGE_DAEMON_QUEUE_H
#define DICTABRIDGE_DAEMON_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#define QUEUE_MAX_EVENTS 8192
#define QUEUE_REPORT_MAX 64

enum dev_event_kind {
	DEV_EV_OPENED,      /* interface open (and the unit identified, db_row_ident) */
	DEV_EV_OPEN_FAILED, /* could not open: text holds the reason */
	DEV_EV_REPORT,      /* one input report */
	DEV_EV_GONE,        /* read error (unplugged): text holds the reason */
};

struct dev_event {
	struct dev_event *next;
	enum dev_event_kind kind;
	uint32_t iface_id;
	uint16_t model_code;        /* DEV_EV_OPENED: identified device code, 0 if none */
	int8_t event_mode;          /* DEV_EV_OPENED: enum db_event_mode, -1 if not known */
	int64_t real_ms;            /* wall clock when read (protocol time_ms) */
	uint64_t mono_us;           /* CLOCK_MONOTONIC when read (gesture timing) */
	uint8_t len;
	uint8_t data[QUEUE_REPORT_MAX];
	char text[120];
};

/* wake is called (from the pushing thread) when the queue goes from empty to non-empty. */
void queue_init(void (*wake)(void));
/* Copies *ev into the queue. Thread-safe. */
void queue_push(const struct dev_event *ev);
/* Takes every queued event (oldest first) as a list the caller frees with queue_free. */
struct dev_event *queue_take_all(uint64_t *dropped);
void queue_free(struct dev_event *list);
void queue_shutdown(void);

uint64_t queue_now_mono_us(void);
int64_t queue_now_real_ms(void);

#endif
