#include "daemon/pulse_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/queue.h"

/* libpulse marks a time on the monotonic clock (pa_context_rttime_new) with this bit in
 * tv_usec; without it the time is wall-clock time. Its public headers do not name it. */
#define TIMEVAL_RTCLOCK (1L << 30)
#define READY_MAX 16

enum ev_kind { EV_IO, EV_TIME, EV_DEFER };

/* What the three kinds of event share: one list. */
struct ev {
	enum ev_kind kind;
	bool dead;
	void *userdata;
	struct ev *next;
};

struct pa_io_event {
	struct ev ev;
	int fd;              /* libpulse's */
	int dup_fd;          /* registered in its place when fd was already: closed with it */
	pa_io_event_cb_t cb;
	pa_io_event_destroy_cb_t destroy;
};

struct pa_time_event {
	struct ev ev;
	uint64_t at_us;      /* CLOCK_MONOTONIC; 0: not armed */
	struct timeval tv;   /* as libpulse gave it, for its callback */
	pa_time_event_cb_t cb;
	pa_time_event_destroy_cb_t destroy;
};

struct pa_defer_event {
	struct ev ev;
	bool enabled;
	pa_defer_event_cb_t cb;
	pa_defer_event_destroy_cb_t destroy;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static int state;        /* 0 detached, 1 attached, -1 attaching failed */
static int set_fd = -1, timer_fd = -1, wake_fd = -1;
static uint64_t timer_at; /* what timer_fd is armed for, 0: disarmed */
/* A hold (pulse_loop_hold) turns set_watch off until hold_fd, a timerfd of its own, fires:
 * the loop's timers count whole milliseconds and the loop polls without waiting through
 * the last one, so a hold ended by them cost a spin of up to a millisecond each time. */
static int set_watch = -1, hold_fd = -1;
static bool held;
static bool dispatching;
static struct ev *events;
static pa_mainloop_api api;

/* A new event of `size` bytes (struct ev first), in the list; NULL when out of memory. */
static void *add(size_t size, enum ev_kind kind, void *userdata)
{
	struct ev *e = calloc(1, size);

	if (!e)
		return NULL;
	e->kind = kind;
	e->userdata = userdata;
	e->next = events;
	events = e;
	return e;
}

static void wake_dispatch(void)
{
	uint64_t one = 1;

	(void)!write(wake_fd, &one, sizeof one);
}

/* Freed by libpulse: released (and its destroy callback run) after the dispatch that may
 * still hold it, or on the next one. */
static void discard(struct ev *e)
{
	e->dead = true;
	if (!dispatching)
		wake_dispatch();
}

/* ---- descriptors ---------------------------------------------------------------------- */

static uint32_t epoll_flags(pa_io_event_flags_t f)
{
	return (f & PA_IO_EVENT_INPUT ? EPOLLIN : 0u) | (f & PA_IO_EVENT_OUTPUT ? EPOLLOUT : 0u);
}

static pa_io_event_flags_t pulse_flags(uint32_t f)
{
	return (f & EPOLLIN ? PA_IO_EVENT_INPUT : 0) | (f & EPOLLOUT ? PA_IO_EVENT_OUTPUT : 0) |
	       (f & EPOLLHUP ? PA_IO_EVENT_HANGUP : 0) | (f & EPOLLERR ? PA_IO_EVENT_ERROR : 0);
}

static int registered_fd(const pa_io_event *e)
{
	return e->dup_fd >= 0 ? e->dup_fd : e->fd;
}

static pa_io_event *io_new(pa_mainloop_api *a, int fd, pa_io_event_flags_t flags,
                           pa_io_event_cb_t cb, void *userdata)
{
	pa_io_event *e = add(sizeof *e, EV_IO, userdata);
	struct epoll_event ee = {.events = epoll_flags(flags)};

	(void)a;
	if (!e)
		return NULL;
	e->fd = fd;
	e->dup_fd = -1;
	e->cb = cb;
	ee.data.ptr = e;
	/* An epoll set holds a descriptor once: a second event on it goes in as a duplicate. */
	if (epoll_ctl(set_fd, EPOLL_CTL_ADD, fd, &ee) < 0 &&
	    (errno != EEXIST || (e->dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0 ||
	     epoll_ctl(set_fd, EPOLL_CTL_ADD, e->dup_fd, &ee) < 0))
		log_warn("cannot watch a sound-server descriptor: %s", strerror(errno));
	return e;
}

static void io_enable(pa_io_event *e, pa_io_event_flags_t flags)
{
	struct epoll_event ee = {.events = epoll_flags(flags), .data.ptr = e};

	epoll_ctl(set_fd, EPOLL_CTL_MOD, registered_fd(e), &ee);
}

/* Out of the set at once: libpulse may close the descriptor next. */
static void io_free(pa_io_event *e)
{
	epoll_ctl(set_fd, EPOLL_CTL_DEL, registered_fd(e), NULL);
	if (e->dup_fd >= 0)
		close(e->dup_fd);
	e->dup_fd = -1;
	discard(&e->ev);
}

static void io_set_destroy(pa_io_event *e, pa_io_event_destroy_cb_t cb)
{
	e->destroy = cb;
}

/* ---- timers --------------------------------------------------------------------------- */

/* When tv is, on the monotonic clock; 0 for none. */
static uint64_t deadline_of(const struct timeval *tv)
{
	struct timeval now;
	int64_t delta;
	uint64_t at, mono = queue_now_mono_us();

	if (!tv)
		return 0;
	if (tv->tv_usec & TIMEVAL_RTCLOCK) {
		at = (uint64_t)tv->tv_sec * 1000000u + (uint64_t)(tv->tv_usec & ~TIMEVAL_RTCLOCK);
	} else {
		gettimeofday(&now, NULL);
		delta = ((int64_t)tv->tv_sec - now.tv_sec) * 1000000 + (tv->tv_usec - now.tv_usec);
		at = delta < 0 && (uint64_t)-delta >= mono ? 1 : (uint64_t)((int64_t)mono + delta);
	}
	return at ? at : 1;
}

/* Arms the timerfd for the earliest armed timer (a system call only when that changed). */
static void arm_timer(void)
{
	struct itimerspec its = {0};
	uint64_t at = 0;

	for (struct ev *e = events; e; e = e->next) {
		const pa_time_event *t = (const pa_time_event *)e;

		if (e->kind == EV_TIME && !e->dead && t->at_us && (!at || t->at_us < at))
			at = t->at_us;
	}
	if (at == timer_at)
		return;
	timer_at = at;
	its.it_value.tv_sec = (time_t)(at / 1000000u);
	its.it_value.tv_nsec = (long)(at % 1000000u) * 1000;
	timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void time_restart(pa_time_event *e, const struct timeval *tv)
{
	e->at_us = deadline_of(tv);
	if (tv)
		e->tv = *tv;
	arm_timer();
}

static pa_time_event *time_new(pa_mainloop_api *a, const struct timeval *tv,
                               pa_time_event_cb_t cb, void *userdata)
{
	pa_time_event *e = add(sizeof *e, EV_TIME, userdata);

	(void)a;
	if (!e)
		return NULL;
	e->cb = cb;
	time_restart(e, tv);
	return e;
}

static void time_free(pa_time_event *e)
{
	discard(&e->ev);
	arm_timer();
}

static void time_set_destroy(pa_time_event *e, pa_time_event_destroy_cb_t cb)
{
	e->destroy = cb;
}

/* ---- deferred events ------------------------------------------------------------------ */

static void defer_enable(pa_defer_event *e, int on)
{
	e->enabled = on != 0;
	if (e->enabled && !dispatching)
		wake_dispatch();
}

static pa_defer_event *defer_new(pa_mainloop_api *a, pa_defer_event_cb_t cb, void *userdata)
{
	pa_defer_event *e = add(sizeof *e, EV_DEFER, userdata);

	(void)a;
	if (!e)
		return NULL;
	e->cb = cb;
	defer_enable(e, 1);
	return e;
}

static void defer_free(pa_defer_event *e)
{
	discard(&e->ev);
}

static void defer_set_destroy(pa_defer_event *e, pa_defer_event_destroy_cb_t cb)
{
	e->destroy = cb;
}

static void quit(pa_mainloop_api *a, int retval)
{
	(void)a;
	(void)retval;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static void release(struct ev *e)
{
	switch (e->kind) {
	case EV_IO:
		if (((pa_io_event *)e)->destroy)
			((pa_io_event *)e)->destroy(&api, (pa_io_event *)e, e->userdata);
		break;
	case EV_TIME:
		if (((pa_time_event *)e)->destroy)
			((pa_time_event *)e)->destroy(&api, (pa_time_event *)e, e->userdata);
		break;
	case EV_DEFER:
	default:
		if (((pa_defer_event *)e)->destroy)
			((pa_defer_event *)e)->destroy(&api, (pa_defer_event *)e, e->userdata);
		break;
	}
	free(e);
}

static void collect(void)
{
	struct ev **pp = &events;

	while (*pp) {
		struct ev *e = *pp;

		if (!e->dead) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		release(e);
	}
}

/* One pass like pa_mainloop's: deferred events, due timers, ready descriptors. A deferred
 * event left enabled runs again on the loop's next pass. */
static void dispatch(void *arg)
{
	struct epoll_event ready[READY_MAX];
	int n;
	uint64_t now, count;
	bool again = false, fired = false;

	(void)arg;
	pthread_mutex_lock(&lock);
	dispatching = true;
	n = epoll_wait(set_fd, ready, READY_MAX, 0);
	for (int i = 0; i < n; i++) {
		if (ready[i].data.ptr == &wake_fd)
			(void)!read(wake_fd, &count, sizeof count);
		else if (ready[i].data.ptr == &timer_fd)
			fired = read(timer_fd, &count, sizeof count) > 0;
	}
	for (struct ev *e = events; e; e = e->next) {
		pa_defer_event *d = (pa_defer_event *)e;

		if (e->kind == EV_DEFER && !e->dead && d->enabled)
			d->cb(&api, d, e->userdata);
	}
	now = queue_now_mono_us();
	for (struct ev *e = events; e; e = e->next) {
		pa_time_event *t = (pa_time_event *)e;

		if (e->kind != EV_TIME || e->dead || !t->at_us || t->at_us > now)
			continue;
		t->at_us = 0;
		t->cb(&api, t, &t->tv, e->userdata);
	}
	for (int i = 0; i < n; i++) {
		pa_io_event *io = ready[i].data.ptr;

		if (io != (void *)&wake_fd && io != (void *)&timer_fd && !io->ev.dead)
			io->cb(&api, io, io->fd, pulse_flags(ready[i].events), io->ev.userdata);
	}
	dispatching = false;
	collect();
	for (struct ev *e = events; e; e = e->next)
		again |= e->kind == EV_DEFER && ((pa_defer_event *)e)->enabled;
	if (again)
		wake_dispatch();
	if (fired)
		timer_at = 0; /* disarmed by firing */
	arm_timer();
	pthread_mutex_unlock(&lock);
}

static void hold_over(void *arg)
{
	uint64_t count;

	(void)arg;
	(void)!read(hold_fd, &count, sizeof count);
	held = false;
	loop_watch_enable(set_watch, true);
}

/* ---- the interface ------------------------------------------------------------------- */

static void close_set(void)
{
	int *fds[] = {&set_fd, &timer_fd, &wake_fd, &hold_fd};

	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static bool watch(int fd)
{
	struct epoll_event ee = {.events = EPOLLIN, .data.ptr = fd == timer_fd ? &timer_fd
	                                                                        : &wake_fd};

	return fd >= 0 && epoll_ctl(set_fd, EPOLL_CTL_ADD, fd, &ee) == 0;
}

int pulse_loop_attach(void)
{
	pthread_condattr_t ca;

	if (state)
		return state > 0 ? 0 : -1;
	state = -1;
	set_fd = epoll_create1(EPOLL_CLOEXEC);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	hold_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (set_fd < 0 || hold_fd < 0 || !watch(timer_fd) || !watch(wake_fd) ||
	    (set_watch = loop_watch_fd(set_fd, dispatch, NULL)) < 0 ||
	    loop_watch_fd(hold_fd, hold_over, NULL) < 0) {
		log_warn("cannot watch the sound server's descriptors: no capture through it");
		close_set();
		return -1;
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cond, &ca);
	pthread_condattr_destroy(&ca);
	timer_at = 0;
	held = false;
	api = (pa_mainloop_api){
		.io_new = io_new, .io_enable = io_enable, .io_free = io_free,
		.io_set_destroy = io_set_destroy, .time_new = time_new,
		.time_restart = time_restart, .time_free = time_free,
		.time_set_destroy = time_set_destroy, .defer_new = defer_new,
		.defer_enable = defer_enable, .defer_free = defer_free,
		.defer_set_destroy = defer_set_destroy, .quit = quit,
	};
	state = 1;
	return 0;
}

void pulse_loop_detach(void)
{
	if (state > 0) {
		collect();
		pthread_cond_destroy(&cond);
		close_set();
	}
	state = 0;
}

static void arm_hold(uint64_t at_us)
{
	struct itimerspec it = {.it_value = {(time_t)(at_us / 1000000u),
	                                     (long)(at_us % 1000000u) * 1000}};

	timerfd_settime(hold_fd, TFD_TIMER_ABSTIME, &it, NULL);
}

void pulse_loop_hold(uint64_t until_us)
{
	if (state <= 0)
		return;
	if (until_us <= queue_now_mono_us()) {
		if (held) {
			arm_hold(0); /* disarmed */
			hold_over(NULL);
		}
		return;
	}
	if (!held)
		loop_watch_enable(set_watch, false);
	held = true;
	arm_hold(until_us);
}

pa_mainloop_api *pulse_loop_api(void)
{
	return state > 0 ? &api : NULL;
}

void pulse_loop_lock(void)
{
	pthread_mutex_lock(&lock);
}

void pulse_loop_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

bool pulse_loop_wait(uint64_t deadline_us)
{
	struct timespec ts = {(time_t)(deadline_us / 1000000u),
	                      (long)(deadline_us % 1000000u) * 1000};

	return pthread_cond_timedwait(&cond, &lock, &ts) != ETIMEDOUT;
}

void pulse_loop_signal(void)
{
	pthread_cond_broadcast(&cond);
}
