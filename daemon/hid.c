#include "daemon/hid.h"

#include <errno.h>
#include <fcntl.h>
#include <hidapi/hidapi.h>
#include <linux/hidraw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "daemon/log.h"
#include "daemon/queue.h"

#define OUT_MAX 64
#define HELD_MAX 32           /* input reports kept while identification runs */
#define STOP_FLUSH_MS 1000    /* how long a stop waits for the last LED write */
#define STOP_POKE_MS 20       /* interval between wake signals while a thread stops */

/* Threads blocked in a device read or write are stopped by setting their flag and
 * interrupting the system call with this signal (its handler does nothing, and it is
 * installed without SA_RESTART so the call returns EINTR). Unlike pthread_cancel this
 * unwinds nothing behind hidapi's back. */
#define WAKE_SIGNAL SIGUSR1

/* hidapi keeps a process-global error string that hid_open_path, hid_close and
 * hid_enumerate all rewrite: serialise them. Per-handle calls need no lock because each
 * handle belongs to exactly one thread. */
static pthread_mutex_t hidapi_global = PTHREAD_MUTEX_INITIALIZER;

struct hid_iface {
	char *devnode;
	const struct db_row *row;
	uint32_t id;
	uint32_t identify_timeout_ms;

	pthread_t reader, writer;
	hid_device *rd;             /* owned by the reader thread */
	hid_device *wr;             /* opened by the reader, then owned by the writer thread */

	pthread_mutex_t lock;       /* guards the fields below */
	pthread_cond_t cond;
	uint8_t out[OUT_MAX];
	size_t out_len;             /* 0 = nothing pending */
	uint8_t cmd[OUT_MAX];       /* a one-off command, written before out */
	size_t cmd_len;
	bool wr_opened;             /* the reader has tried to open wr (it may be NULL) */
	bool stopping;
	bool writer_done;
	atomic_bool reader_stop;    /* set by hid_iface_stop, read by the reader */
};

static void on_wake_signal(int sig)
{
	(void)sig;
}

int hid_global_init(void)
{
	struct sigaction sa = {.sa_handler = on_wake_signal};

	sigemptyset(&sa.sa_mask);
	if (sigaction(WAKE_SIGNAL, &sa, NULL) != 0)
		return -1;
	return hid_init();
}

void hid_global_exit(void)
{
	hid_exit();
}

/* hidapi 0.13's hid_open_path frees its device and then writes the error message into it
 * when HIDIOCGRDESCSIZE fails (libusb/hidapi#542), corrupting the heap. A node that is
 * not a working hidraw device, or that breaks while being opened, must not get there:
 * ask it the same question first. A device that fails between the two questions still
 * reaches the bug, so both handles are opened back to back when the unit appears (see
 * reader_main), never later, when an unplug may be under way. */
static bool answers_hidraw(const char *path, char *why, size_t whylen)
{
	int size = 0, fd = open(path, O_RDWR | O_CLOEXEC), err;

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return false;
	}
	if (ioctl(fd, HIDIOCGRDESCSIZE, &size) < 0) {
		err = errno;
		close(fd);
		snprintf(why, whylen, "not a working hidraw node: %s", strerror(err));
		return false;
	}
	close(fd);
	return true;
}

static hid_device *open_locked(const char *path, char *why, size_t whylen)
{
	hid_device *d;

	if (!answers_hidraw(path, why, whylen))
		return NULL;
	pthread_mutex_lock(&hidapi_global);
	d = hid_open_path(path);
	if (!d)
		snprintf(why, whylen, "%ls", hid_error(NULL));
	pthread_mutex_unlock(&hidapi_global);
	return d;
}

static void close_locked(hid_device *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&hidapi_global);
	hid_close(d);
	pthread_mutex_unlock(&hidapi_global);
}

size_t hid_collections(uint16_t vid, uint16_t pid, const char *devnode, uint16_t *pages,
                       uint16_t *usages, size_t cap)
{
	struct hid_device_info *all, *it;
	size_t n = 0;

	pthread_mutex_lock(&hidapi_global);
	all = hid_enumerate(vid, pid);
	for (it = all; it && n < cap; it = it->next) {
		if (!it->path || strcmp(it->path, devnode) != 0)
			continue;
		pages[n] = it->usage_page;
		usages[n] = it->usage;
		n++;
	}
	hid_free_enumeration(all);
	pthread_mutex_unlock(&hidapi_global);
	return n;
}

static void push(const struct hid_iface *h, enum dev_event_kind kind, const uint8_t *data,
                 size_t len, uint16_t code, const char *text, int8_t event_mode)
{
	struct dev_event ev = {.kind = kind, .iface_id = h->id, .model_code = code,
	                       .event_mode = event_mode};

	ev.real_ms = queue_now_real_ms();
	ev.mono_us = queue_now_mono_us();
	if (len > sizeof ev.data)
		len = sizeof ev.data;
	if (data && len)
		memcpy(ev.data, data, len);
	ev.len = (uint8_t)len;
	if (text)
		snprintf(ev.text, sizeof ev.text, "%s", text);
	queue_push(&ev);
}

/* hidraw hands out one report per read; a transport that streams bytes may join several.
 * With a fixed report length, an exact multiple is split back into reports. */
static void push_reports(const struct hid_iface *h, const uint8_t *buf, size_t n)
{
	size_t rl = h->row->wire->report_len;

	if (rl && n > rl && n % rl == 0) {
		for (size_t off = 0; off < n; off += rl)
			push(h, DEV_EV_REPORT, buf + off, rl, 0, NULL, -1);
	} else {
		push(h, DEV_EV_REPORT, buf, n, 0, NULL, -1);
	}
}

static uint64_t now_ms(void)
{
	return queue_now_mono_us() / 1000u;
}

struct held {
	uint8_t data[HELD_MAX][QUEUE_REPORT_MAX];
	uint8_t len[HELD_MAX];
	size_t n;
};

static void hold_report(struct held *held, const uint8_t *r, size_t len)
{
	if (held->n == HELD_MAX) { /* keep the newest: level-triggered state stays right */
		memmove(held->data[0], held->data[1], sizeof held->data[0] * (HELD_MAX - 1));
		memmove(held->len, held->len + 1, HELD_MAX - 1);
		held->n--;
	}
	if (len > QUEUE_REPORT_MAX)
		len = QUEUE_REPORT_MAX;
	memcpy(held->data[held->n], r, len);
	held->len[held->n++] = (uint8_t)len;
}

/* Runs the family's identification exchange. Returns the device code (0 when the device
 * did not answer), or -1 after a read error (event already pushed); *event_mode gets the
 * mode the unit answered (-1: none). Reports that are not answers are kept in *held and
 * delivered after the device is announced. */
static int identify(struct hid_iface *h, const struct db_ident_ops *ops, struct held *held,
                    int8_t *event_mode)
{
	struct db_ident st;
	uint8_t q[OUT_MAX], buf[256];
	size_t qlen = ops->start(&st, q, sizeof q);
	int retries_left = 1;
	uint64_t deadline;

	if (hid_write(h->rd, q, qlen) < 0)
		log_debug("identify %s: write failed: %ls", h->devnode, hid_error(h->rd));
	deadline = now_ms() + h->identify_timeout_ms;
	for (;;) {
		uint64_t now = now_ms();
		int n;

		if (now >= deadline) {
			if (!retries_left--) {
				uint8_t unanswered = st.pending;
				size_t next_len = 0;

				if (st.code)
					log_warn("%s: no answer to identification query 0x%02x; keeping "
					         "device code %u", h->devnode, unanswered, st.code);
				else
					log_warn("%s: no answer to identification query 0x%02x; using the "
					         "generic button map", h->devnode, unanswered);
				if (ops->timeout(&st, q, sizeof q, &next_len) == DB_IDENT_DONE) {
					*event_mode = st.event_mode;
					return st.code;
				}
				hid_write(h->rd, q, next_len);
				retries_left = 1;
				deadline = now_ms() + h->identify_timeout_ms;
				continue;
			}
			qlen = ops->pending_query(&st, q, sizeof q);
			hid_write(h->rd, q, qlen);
			deadline = now_ms() + h->identify_timeout_ms;
			continue;
		}
		n = hid_read_timeout(h->rd, buf, sizeof buf, (int)(deadline - now));
		if (atomic_load(&h->reader_stop))
			return -1;
		if (n < 0) {
			push(h, DEV_EV_GONE, NULL, 0, 0, "read error during identification", -1);
			return -1;
		}
		size_t rl = h->row->wire->report_len ? h->row->wire->report_len : (size_t)n;
		for (size_t off = 0; n > 0 && off + rl <= (size_t)n; off += rl) {
			size_t next_len = 0;
			enum db_ident_result r = ops->feed(&st, buf + off, rl, q, sizeof q, &next_len);
			if (r == DB_IDENT_DONE) {
				*event_mode = st.event_mode;
				return st.code;
			}
			if (r == DB_IDENT_NOT_MINE) {
				hold_report(held, buf + off, rl);
				continue;
			}
			hid_write(h->rd, q, next_len);
			retries_left = 1;
			deadline = now_ms() + h->identify_timeout_ms;
		}
	}
}

/* Hands the writer its handle (NULL when it could not be opened: LED writes are then
 * dropped with a warning, and never retried later, see answers_hidraw). */
static void publish_writer(struct hid_iface *h, hid_device *wr)
{
	pthread_mutex_lock(&h->lock);
	h->wr = wr;
	h->wr_opened = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

/* The writer's handle, opened right after the reader's while the unit is being plugged
 * (an LED write may come much later, possibly while the unit is being pulled). */
static void open_writer(struct hid_iface *h)
{
	char why[128] = "";
	hid_device *wr = open_locked(h->devnode, why, sizeof why);

	if (!wr)
		log_warn("%s: cannot open for LED writes: %s", h->devnode, why);
	publish_writer(h, wr);
}

static void *reader_main(void *arg)
{
	struct hid_iface *h = arg;
	struct held held = {.n = 0};
	uint8_t buf[256];
	char why[128] = "";
	int code = 0;
	int8_t event_mode = -1;
	const struct db_ident_ops *ident = db_row_ident(h->row);

	h->rd = open_locked(h->devnode, why, sizeof why);
	if (h->rd)
		open_writer(h);
	else
		publish_writer(h, NULL);
	if (!h->rd) {
		push(h, DEV_EV_OPEN_FAILED, NULL, 0, 0, why, -1);
		return NULL;
	}
	if (ident) {
		code = identify(h, ident, &held, &event_mode);
		if (code < 0)
			return NULL;
	}
	push(h, DEV_EV_OPENED, NULL, 0, (uint16_t)code, NULL, event_mode);
	for (size_t i = 0; i < held.n; i++)
		push(h, DEV_EV_REPORT, held.data[i], held.len[i], 0, NULL, -1);
	/* A whole number of reports per read: where the node is a byte stream (emulation,
	 * some bridges), a burst then never splits a report across two reads. */
	size_t rl = h->row->wire->report_len, want = rl && rl <= sizeof buf
	                                             ? sizeof buf / rl * rl : sizeof buf;
	for (;;) {
		int n = hid_read_timeout(h->rd, buf, want, -1);

		if (atomic_load(&h->reader_stop))
			return NULL;
		if (n < 0) {
			snprintf(why, sizeof why, "read failed: %ls", hid_error(h->rd));
			push(h, DEV_EV_GONE, NULL, 0, 0, why, -1);
			return NULL;
		}
		if (n > 0)
			push_reports(h, buf, (size_t)n);
	}
}

static void *writer_main(void *arg)
{
	struct hid_iface *h = arg;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		uint8_t out[OUT_MAX];
		size_t len;

		while (((!h->out_len && !h->cmd_len) || !h->wr_opened) && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		if (!h->wr_opened) {
			break;
		} else if (h->cmd_len) {
			len = h->cmd_len;
			memcpy(out, h->cmd, len);
			h->cmd_len = 0;
		} else if (h->out_len) {
			len = h->out_len;
			memcpy(out, h->out, len);
			h->out_len = 0;
		} else {
			break;
		}
		pthread_mutex_unlock(&h->lock);

		if (h->wr && hid_write(h->wr, out, len) < 0)
			log_warn("%s: LED write failed: %ls", h->devnode, hid_error(h->wr));
		pthread_mutex_lock(&h->lock);
	}
	h->writer_done = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

struct hid_iface *hid_iface_start(const char *devnode, const struct db_row *row,
                                  uint32_t iface_id, uint32_t identify_timeout_ms)
{
	struct hid_iface *h = calloc(1, sizeof *h);

	if (!h || !(h->devnode = strdup(devnode))) {
		free(h);
		return NULL;
	}
	h->row = row;
	h->id = iface_id;
	h->identify_timeout_ms = identify_timeout_ms;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	if (pthread_create(&h->writer, NULL, writer_main, h)) {
		free(h->devnode);
		free(h);
		return NULL;
	}
	if (pthread_create(&h->reader, NULL, reader_main, h)) {
		pthread_mutex_lock(&h->lock);
		h->stopping = true;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->writer, NULL);
		free(h->devnode);
		free(h);
		return NULL;
	}
	return h;
}

/* Hands buf to the writer in slot (out or cmd, both guarded by h->lock), replacing
 * what that slot still held. */
static void put_output(struct hid_iface *h, uint8_t *slot, size_t *slot_len,
                       const uint8_t *buf, size_t len)
{
	if (len > OUT_MAX)
		return;
	pthread_mutex_lock(&h->lock);
	memcpy(slot, buf, len);
	*slot_len = len;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

void hid_iface_write(struct hid_iface *h, const uint8_t *buf, size_t len)
{
	put_output(h, h->out, &h->out_len, buf, len);
}

void hid_iface_command(struct hid_iface *h, const uint8_t *buf, size_t len)
{
	put_output(h, h->cmd, &h->cmd_len, buf, len);
}

/* Joins t, interrupting its blocking system call until it notices its stop flag. The
 * flag may be read just before the thread enters the call, so one signal is not enough. */
static void join_interrupting(pthread_t t)
{
	for (;;) {
		struct timespec until;

		pthread_kill(t, WAKE_SIGNAL);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += STOP_POKE_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(t, NULL, &until) == 0)
			return;
	}
}

void hid_iface_stop(struct hid_iface *h)
{
	struct timespec until;
	bool done;

	atomic_store(&h->reader_stop, true);
	join_interrupting(h->reader);

	/* Let the writer finish a pending write (LEDs off at shutdown), but never wait on a
	 * stalled device for long. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_FLUSH_MS / 1000;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_signal(&h->cond);
	while (!h->writer_done) {
		if (pthread_cond_timedwait(&h->cond, &h->lock, &until) == ETIMEDOUT)
			break;
	}
	done = h->writer_done;
	/* Drop what is still queued: the writer exits after the write in progress. */
	h->out_len = 0;
	h->cmd_len = 0;
	pthread_mutex_unlock(&h->lock);
	if (!done)
		log_warn("%s: LED write did not complete; abandoning it", h->devnode);
	join_interrupting(h->writer);

	close_locked(h->rd);
	close_locked(h->wr);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h->devnode);
	free(h);
}
