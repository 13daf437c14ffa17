#include "daemon/loop.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define MAX_WATCHES 8

struct fd_watch {
	struct lws *wsi;
	void (*cb)(void *arg);
	void *arg;
};

static struct lws_context *ctx;
static struct lws_vhost *vhost;
static void (*woken_handler)(void);
static volatile int loop_running;
static pthread_t loop_thread;
static bool in_pass, woken_in_pass; /* loop thread only */
static struct fd_watch watches[MAX_WATCHES];
static size_t n_watches;

int loop_init(const struct lws_protocols *protocols, const lws_retry_bo_t *keepalive,
              void (*woken)(void))
{
	struct lws_context_creation_info info;

	woken_handler = woken;
	loop_thread = pthread_self();
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
	info.timeout_secs = 10;  /* a handshake trickled byte by byte is dropped */
	info.max_http_header_data = 4096;
	ctx = lws_create_context(&info);
	if (!ctx)
		return -1;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.vhost_name = "dictabridge";
	info.protocols = protocols;
	info.retry_and_idle_policy = keepalive;
	vhost = lws_create_vhost(ctx, &info);
	return vhost ? 0 : -1;
}

void loop_destroy(void)
{
	if (ctx)
		lws_context_destroy(ctx);
	ctx = NULL;
	vhost = NULL;
	n_watches = 0;
}

struct lws_vhost *loop_vhost(void)
{
	return vhost;
}

/* One pass of libwebsockets' loop, then the woken handler if the pass itself woke the loop
 * (a sound-server block read on this thread). */
static int service(void)
{
	int r;

	in_pass = true;
	r = lws_service(ctx, 0);
	in_pass = false;
	if (woken_in_pass) {
		woken_in_pass = false;
		woken_handler();
	}
	return r;
}

void loop_run(void)
{
	loop_running = 1;
	while (loop_running && service() >= 0)
		;
}

void loop_stop(void)
{
	loop_running = 0;
}

int loop_service_once(void)
{
	return service();
}

void loop_wake(void)
{
	if (!ctx)
		return;
	/* From the loop thread within a pass: no need to go through the kernel. */
	if (pthread_equal(pthread_self(), loop_thread) && in_pass && woken_handler)
		woken_in_pass = true;
	else
		lws_cancel_service(ctx);
}

int loop_fd_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
	struct fd_watch *w;

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		w = lws_get_opaque_user_data(wsi);
		if (w)
			w->cb(w->arg);
		return 0;
	/* lws tells every protocol of every vhost; this one answers for the daemon. */
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (wsi && lws_get_vhost(wsi) == vhost && woken_handler)
			woken_handler();
		return 0;
	default:
		return 0;
	}
}

int loop_watch_fd(int fd, void (*cb)(void *arg), void *arg)
{
	lws_sock_file_fd_type u;
	struct fd_watch *w;

	if (n_watches == MAX_WATCHES)
		return -1;
	/* lws closes what it adopts; the owner keeps (and closes) its own descriptor. */
	u.filefd = (lws_filefd_type)dup(fd);
	if (u.filefd < 0)
		return -1;
	w = &watches[n_watches];
	w->wsi = lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, u, LOOP_FD_PROTOCOL,
	                                    NULL);
	if (!w->wsi) {
		close(u.filefd);
		return -1;
	}
	w->cb = cb;
	w->arg = arg;
	lws_set_opaque_user_data(w->wsi, w);
	return (int)n_watches++;
}

void loop_watch_enable(int id, bool enable)
{
	if (id >= 0 && (size_t)id < n_watches)
		lws_rx_flow_control(watches[id].wsi, enable);
}

static void timer_fired(lws_sorted_usec_list_t *sul)
{
	struct loop_timer *t = lws_container_of(sul, struct loop_timer, sul);

	t->fire(t->arg);
}

void loop_timer_start(struct loop_timer *t, uint64_t delay_ms, void (*fire)(void *arg),
                      void *arg)
{
	t->fire = fire;
	t->arg = arg;
	lws_sul_schedule(ctx, 0, &t->sul, timer_fired, (lws_usec_t)delay_ms * LWS_US_PER_MS);
}

void loop_timer_stop(struct loop_timer *t)
{
	lws_sul_cancel(&t->sul);
}

uint64_t loop_now_us(void)
{
	return (uint64_t)lws_now_usecs();
}
