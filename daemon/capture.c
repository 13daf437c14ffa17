#include "daemon/capture.h"

#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <math.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/capture_pulse.h"
#include "daemon/dynlib.h"
#include "daemon/log.h"
#include "daemon/pulse_loop.h"

/* 128 slots of 10 ms: the loop may fall 1.28 s behind before samples are lost. */
#define RING_SLOTS 128u
#define BLOCK_MS 10u

enum cmd_op { CMD_OPEN, CMD_CLOSE };

struct cmd {
	struct capture *c;
	enum cmd_op op;
	struct cmd *next;
};

struct capture {
	struct capture_source src;
	uint32_t want_rate;
	bool rate_fixed;

	/* Written by the worker before it publishes `state` (release); read by the loop
	 * after loading it (acquire). */
	_Atomic int state;
	uint32_t rate;
	char why[160];

	/* Worker only (route is published with `state`). */
	struct capture_pulse *pulse;
	struct capture_route route;
	PaStream *stream;
	int channels;
	struct capture *next_open;    /* the worker's list of open streams */
	struct cmd open_cmd, close_cmd;

	/* Callback thread → loop. */
	atomic_bool closing;
	_Atomic uint32_t head, tail;
	_Atomic uint64_t dropped;
	struct capture_block ring[RING_SLOTS];
};

static void (*wake_loop)(void);
static pthread_t worker;
static bool worker_started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct cmd *cmd_head, *cmd_tail;
static bool quitting;

static atomic_bool devices_stale = true;

/* Worker-only state. */
static bool pa_ready;
static struct capture *open_list;

/* PortAudio and alsa-lib are loaded at the first capture through ALSA (dynlib.h). */
#define PORTAUDIO_FUNCS(X) \
	X(Pa_Initialize) X(Pa_Terminate) X(Pa_GetDeviceCount) X(Pa_GetDeviceInfo) \
	X(Pa_GetDefaultInputDevice) X(Pa_IsFormatSupported) X(Pa_OpenStream) \
	X(Pa_SetStreamFinishedCallback) X(Pa_StartStream) X(Pa_AbortStream) X(Pa_CloseStream) \
	X(Pa_GetErrorText) X(PaAlsa_InitializeStreamInfo)
#define ALSA_FUNCS(X) X(snd_lib_error_set_handler) X(snd_config_update_free_global)

static struct {
	PORTAUDIO_FUNCS(DYNLIB_MEMBER)
} pa;
static struct {
	ALSA_FUNCS(DYNLIB_MEMBER)
} asound;

/* ---- PortAudio's and its back ends' chatter --------------------------------------- */

/* ALSA and JACK print to stderr on every PortAudio start-up (cards that do not exist, no
 * JACK server): routed to the debug log so that the daemon's own lines stay readable. */
__attribute__((format(printf, 5, 6)))
static void alsa_said(const char *file, int line, const char *fn, int err, const char *fmt,
                      ...)
{
	char text[256];
	va_list ap;

	(void)file;
	(void)line;
	(void)fn;
	(void)err;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	log_debug("ALSA: %s", text);
}

static void jack_said(const char *text)
{
	log_debug("JACK: %s", text);
}

/* Loads PortAudio once, at the first capture through ALSA, and keeps it (ALSA's plugins
 * and PortAudio's back ends are not safe to unload). Its dependencies come with it, alsa-lib
 * and (when Debian builds PortAudio with its JACK back end) libjack: their functions are
 * looked up through PortAudio's handle. */
static bool load_alsa_backend(void)
{
	static const char *const setters[] = {"jack_set_error_function", "jack_set_info_function"};
	static int state; /* 0 untried, 1 loaded, -1 missing */
	void *h;

	if (state)
		return state > 0;
	state = -1;
	h = dlopen("libportaudio.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return false;
#define LOAD_PA(f) if (!DYNLIB_LOAD(h, pa, f)) return false;
#define LOAD_ASOUND(f) if (!DYNLIB_LOAD(h, asound, f)) return false;
	PORTAUDIO_FUNCS(LOAD_PA)
	ALSA_FUNCS(LOAD_ASOUND)
#undef LOAD_PA
#undef LOAD_ASOUND
	state = 1;
	asound.snd_lib_error_set_handler((snd_lib_error_handler_t)alsa_said);
	for (size_t i = 0; i < sizeof setters / sizeof setters[0]; i++) {
		void (*set)(void (*)(const char *));

		*(void **)&set = dlsym(h, setters[i]);
		if (set)
			set(jack_said);
	}
	return true;
}

/* ---- the callback thread ------------------------------------------------------------- */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void copy_block(struct capture_block *b, const int16_t *in, uint32_t n, int channels)
{
	if (channels == 1) {
		memcpy(b->s, in, n * sizeof *in);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		b->s[i] = (int16_t)(((int32_t)in[2 * i] + in[2 * i + 1]) / 2);
}

/* Never blocks, never allocates: copies n frames of `channels` samples into the ring, the
 * first captured at t (µs), and counts what does not fit. Called on the back end's
 * thread. */
static void ring_push(struct capture *c, const int16_t *in, unsigned long frames, int channels,
                      uint64_t t)
{
	while (frames) {
		uint32_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
		uint32_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
		uint32_t n = frames < CAPTURE_BLOCK_MAX ? (uint32_t)frames : CAPTURE_BLOCK_MAX;
		struct capture_block *b;

		if (head - tail == RING_SLOTS) {
			atomic_fetch_add(&c->dropped, frames);
			break;
		}
		b = &c->ring[head % RING_SLOTS];
		copy_block(b, in, n, channels);
		b->t_us = t;
		b->n = n;
		atomic_store_explicit(&c->head, head + 1, memory_order_release);
		frames -= n;
		in += (size_t)n * (size_t)channels;
		t += (uint64_t)n * 1000000u / c->rate;
	}
	wake_loop();
}

static int on_audio(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *arg)
{
	struct capture *c = arg;
	double age = (double)frames / c->rate;

	(void)output;
	(void)flags;
	if (!input)
		return paContinue;
	/* The first sample's age: what the host API says when it says something sane, else
	 * the buffer's duration (it was just filled). */
	if (ti && ti->inputBufferAdcTime > 0 && ti->currentTime >= ti->inputBufferAdcTime &&
	    ti->currentTime - ti->inputBufferAdcTime < 1.0)
		age = ti->currentTime - ti->inputBufferAdcTime;
	ring_push(c, input, frames, c->channels, mono_us() - (uint64_t)(age * 1e6));
	return paContinue;
}

static void on_server_audio(void *arg, const int16_t *s, uint32_t n, uint64_t t_us)
{
	ring_push(arg, s, n, 1, t_us);
}

/* Publishes the failure (the reason first: the loop reads it after the state). */
__attribute__((format(printf, 2, 3)))
static void fail(struct capture *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	atomic_store_explicit(&c->state, CAPTURE_FAILED, memory_order_release);
	wake_loop();
}

/* PortAudio ends a stream by itself only when the device failed or went away. */
static void on_finished(void *arg)
{
	struct capture *c = arg;

	if (!atomic_load(&c->closing))
		fail(c, "the microphone stopped (unplugged or failed)");
}

static void on_server_failed(void *arg, const char *why)
{
	struct capture *c = arg;

	if (!atomic_load(&c->closing))
		fail(c, "%s", why);
}

/* ---- the worker ------------------------------------------------------------------------ */

static bool can_capture(PaDeviceIndex i)
{
	const PaDeviceInfo *d = pa.Pa_GetDeviceInfo(i);

	return d && d->maxInputChannels > 0;
}

static PaDeviceIndex find_device(const struct capture_source *s)
{
	PaDeviceIndex n = pa.Pa_GetDeviceCount(), i;
	char pattern[32];

	switch (s->kind) {
	case CAPTURE_DEFAULT:
		return pa.Pa_GetDefaultInputDevice();
	case CAPTURE_CARD:
		snprintf(pattern, sizeof pattern, "(hw:%d,", s->card);
		for (i = 0; i < n; i++)
			if (can_capture(i) && strstr(pa.Pa_GetDeviceInfo(i)->name, pattern))
				return i;
		return paNoDevice;
	case CAPTURE_NAMED:
	default:
		for (i = 0; i < n; i++)
			if (can_capture(i) && strcmp(pa.Pa_GetDeviceInfo(i)->name, s->name) == 0)
				return i;
		for (i = 0; i < n; i++)
			if (can_capture(i) && strstr(pa.Pa_GetDeviceInfo(i)->name, s->name))
				return i;
		return paNoDevice;
	}
}

static void not_found(struct capture *c)
{
	switch (c->src.kind) {
	case CAPTURE_DEFAULT:
		fail(c, "no default capture device");
		break;
	case CAPTURE_CARD:
		fail(c, "no capture device for ALSA card %d", c->src.card);
		break;
	default:
		fail(c, "no capture device named '%s'", c->src.name);
		break;
	}
}

/* PortAudio lists devices once per Pa_Initialize, so a card plugged in later is seen only
 * after listing again. That is done only when needed (the sound devices changed, or the
 * wanted one is missing) and only while nothing is open: each listing loads and unloads
 * ALSA's plugins, and some of their libraries leave memory behind when unloaded. */
static bool refresh_devices(struct capture *c, bool force)
{
	uint64_t t0 = mono_us();
	PaError err;

	if (!load_alsa_backend()) {
		fail(c, "cannot load PortAudio (libportaudio.so.2) and alsa-lib");
		return false;
	}
	if (open_list || (pa_ready && !force && !atomic_load(&devices_stale)))
		return true;
	atomic_store(&devices_stale, false);
	if (pa_ready)
		pa.Pa_Terminate();
	pa_ready = false;
	err = pa.Pa_Initialize();
	if (err != paNoError) {
		fail(c, "PortAudio: %s", pa.Pa_GetErrorText(err));
		return false;
	}
	pa_ready = true;
	log_debug("PortAudio listed %d devices in %llu ms", (int)pa.Pa_GetDeviceCount(),
	          (unsigned long long)((mono_us() - t0) / 1000));
	return true;
}

/* Mono when the device takes it (else two channels, averaged, up to max_channels); the
 * wanted rate when the device takes it (else, unless fixed, other_rate). */
static bool pick_format(struct capture *c, PaStreamParameters *p, int max_channels,
                        double other_rate, double *rate)
{
	double rates[2] = {c->want_rate, round(other_rate)};
	size_t n_rates = c->rate_fixed || rates[1] == rates[0] ? 1 : 2;

	for (int ch = 1; ch <= 2 && ch <= max_channels; ch++) {
		p->channelCount = ch;
		for (size_t r = 0; r < n_rates; r++) {
			if (rates[r] < 8000 || rates[r] > 192000)
				continue;
			if (pa.Pa_IsFormatSupported(p, NULL, rates[r]) == paFormatIsSupported) {
				*rate = rates[r];
				return true;
			}
		}
	}
	return false;
}

static void publish_running(struct capture *c, const char *via)
{
	c->route.via = via;
	atomic_store_explicit(&c->state, CAPTURE_RUNNING, memory_order_release);
	wake_loop();
}

/* Through the sound server when it runs and has the source. Returns whether that settled
 * the open (running, or failed for a reason ALSA would not fix); false: try ALSA. The
 * server converts to the wanted rate itself, so the capture runs at the first stream's
 * rate whether or not audio.capture_rate fixed it. */
static bool open_via_server(struct capture *c)
{
	const struct capture_pulse_sink sink = {on_server_audio, on_server_failed, c};
	struct capture_pulse_found found;
	char what[160];

	c->rate = c->want_rate;
	switch (capture_pulse_open(&c->src, c->rate, &sink, &c->pulse, &found, what,
	                           sizeof what)) {
	case CAPTURE_PULSE_OPEN:
		log_info("capturing from '%s' through the sound server at %u Hz (%s; %s the "
		         "default input)", found.description, (unsigned)c->rate, found.name,
		         found.is_default ? "it is" : "it is not");
		snprintf(c->route.source, sizeof c->route.source, "%s", found.name);
		c->route.is_default = found.is_default;
		publish_running(c, "pulse");
		return true;
	case CAPTURE_PULSE_ERROR:
		fail(c, "sound server: %s", what);
		return true;
	case CAPTURE_PULSE_NO_SOURCE:
	case CAPTURE_PULSE_NO_SERVER:
	default:
		log_debug("%s: capturing through ALSA", what);
		return false;
	}
}

/* Opens and starts c->stream at `rate` from p: 10 ms buffers, the callback into the ring.
 * On failure no stream is left behind. */
static PaError start_stream(struct capture *c, const PaStreamParameters *p, double rate)
{
	PaError err;

	c->rate = (uint32_t)rate;
	c->channels = p->channelCount;
	err = pa.Pa_OpenStream(&c->stream, p, NULL, rate,
	                    c->rate / (1000 / BLOCK_MS) < CAPTURE_BLOCK_MAX
	                            ? c->rate / (1000 / BLOCK_MS) : CAPTURE_BLOCK_MAX,
	                    paClipOff, on_audio, c);
	if (err != paNoError) {
		c->stream = NULL;
		return err;
	}
	pa.Pa_SetStreamFinishedCallback(c->stream, on_finished);
	err = pa.Pa_StartStream(c->stream);
	if (err != paNoError) {
		pa.Pa_CloseStream(c->stream);
		c->stream = NULL;
		return err;
	}
	c->next_open = open_list;
	open_list = c;
	return paNoError;
}

/* A USB microphone has no hardware mixing: the first program to open its card holds it.
 * ALSA's dsnoop plugin shares one card's capture among every program that opens it through
 * dsnoop (ALSA's own "default" device on a USB card does). The card runs at one rate for
 * all of them, set by the first: asked for the wanted rate, it may run at another (the
 * card's nearest, or another program's), so the wanted rate is tried, then dsnoop's own
 * default (48 kHz), and the daemon converts as for any capture rate. PortAudio converts
 * the sample format. Returns whether the capture runs; false: the caller opens the card
 * alone. */
static bool open_shared(struct capture *c)
{
	char pcm[48];
	PaAlsaStreamInfo info;
	PaStreamParameters p = {0};
	double rate = 0;
	PaError err;

	snprintf(pcm, sizeof pcm, "dsnoop:CARD=%d,RATE=%u", c->src.card, (unsigned)c->want_rate);
	pa.PaAlsa_InitializeStreamInfo(&info);
	info.deviceString = pcm;
	p.device = paUseHostApiSpecificDeviceSpecification;
	p.sampleFormat = paInt16;
	p.suggestedLatency = 2 * BLOCK_MS / 1000.0;
	p.hostApiSpecificStreamInfo = &info;
	if (!pick_format(c, &p, 2, 48000, &rate)) {
		log_info("cannot share ALSA card %d through dsnoop (%s does not open for 16-bit "
		         "capture at %u%s Hz): opening it alone", c->src.card, pcm,
		         (unsigned)c->want_rate, c->rate_fixed ? "" : " or 48000");
		return false;
	}
	err = start_stream(c, &p, rate);
	if (err != paNoError) {
		log_info("cannot share ALSA card %d through dsnoop (%s: %s): opening it alone",
		         c->src.card, pcm, pa.Pa_GetErrorText(err));
		return false;
	}
	log_info("capturing from ALSA card %d shared through dsnoop (%s) at %u Hz, %d channel%s",
	         c->src.card, pcm, (unsigned)c->rate, c->channels,
	         c->channels == 1 ? "" : "s (averaged)");
	publish_running(c, "alsa-dsnoop");
	return true;
}

static void do_open(struct capture *c)
{
	PaStreamParameters p = {0};
	double rate = 0;
	PaError err;

	if (atomic_load(&c->closing) || open_via_server(c) || !refresh_devices(c, false))
		return;
	if (c->src.kind == CAPTURE_CARD && open_shared(c))
		return;
	p.device = find_device(&c->src);
	if (p.device == paNoDevice && !open_list) {
		/* Perhaps it appeared without a sound card event (a sound server started). */
		if (!refresh_devices(c, true))
			return;
		p.device = find_device(&c->src);
	}
	if (p.device == paNoDevice) {
		not_found(c);
		return;
	}
	p.sampleFormat = paInt16;
	p.suggestedLatency = pa.Pa_GetDeviceInfo(p.device)->defaultLowInputLatency;
	if (!pick_format(c, &p, pa.Pa_GetDeviceInfo(p.device)->maxInputChannels,
	                 pa.Pa_GetDeviceInfo(p.device)->defaultSampleRate, &rate)) {
		fail(c, "'%s' cannot capture 16-bit audio at %u Hz%s", pa.Pa_GetDeviceInfo(p.device)->name,
		     (unsigned)c->want_rate, c->rate_fixed ? " (audio.capture_rate)" : "");
		return;
	}
	err = start_stream(c, &p, rate);
	if (err != paNoError) {
		fail(c, "cannot open '%s': %s", pa.Pa_GetDeviceInfo(p.device)->name, pa.Pa_GetErrorText(err));
		return;
	}
	log_info("capturing from '%s' through ALSA at %u Hz, %d channel%s%s",
	         pa.Pa_GetDeviceInfo(p.device)->name, (unsigned)c->rate, c->channels,
	         c->channels == 1 ? "" : "s (averaged)",
	         c->src.kind == CAPTURE_CARD ? ", holding the card alone" : "");
	publish_running(c, "alsa");
}

static void do_close(struct capture *c)
{
	if (c->pulse) {
		capture_pulse_close(c->pulse);
		log_debug("capture closed");
	}
	if (c->stream) {
		struct capture **pp = &open_list;

		pa.Pa_AbortStream(c->stream);
		pa.Pa_CloseStream(c->stream);
		while (*pp != c)
			pp = &(*pp)->next_open;
		*pp = c->next_open;
		log_debug("capture closed");
	}
	free(c);
}

static void *worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct cmd *cmd;

		pthread_mutex_lock(&lock);
		while (!cmd_head && !quitting)
			pthread_cond_wait(&cond, &lock);
		cmd = cmd_head;
		if (cmd) {
			cmd_head = cmd->next;
			if (!cmd_head)
				cmd_tail = NULL;
		}
		pthread_mutex_unlock(&lock);
		if (!cmd)
			break; /* quitting, and every command done */
		if (cmd->op == CMD_OPEN)
			do_open(cmd->c);
		else
			do_close(cmd->c);
	}
	while (open_list)
		do_close(open_list);
	if (pa_ready)
		pa.Pa_Terminate();
	pa_ready = false;
	/* ALSA keeps its parsed configuration for the process's lifetime otherwise. */
	if (asound.snd_config_update_free_global)
		asound.snd_config_update_free_global();
	return NULL;
}

static void submit(struct cmd *cmd)
{
	pthread_mutex_lock(&lock);
	cmd->next = NULL;
	if (cmd_tail)
		cmd_tail->next = cmd;
	else
		cmd_head = cmd;
	cmd_tail = cmd;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

/* ---- the loop's side ------------------------------------------------------------------------ */

int capture_global_init(void (*wake)(void))
{
	wake_loop = wake;
	quitting = false;
	if (pthread_create(&worker, NULL, worker_main, NULL) != 0)
		return -1;
	worker_started = true;
	return 0;
}

void capture_global_exit(void)
{
	if (!worker_started)
		return;
	pthread_mutex_lock(&lock);
	quitting = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(worker, NULL);
	worker_started = false;
	pulse_loop_detach();
}

struct capture *capture_open(const struct capture_source *src, uint32_t rate, bool rate_fixed)
{
	struct capture *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	pulse_loop_attach(); /* the sound server's capture runs on this loop */
	c->src = *src;
	c->want_rate = rate;
	c->rate_fixed = rate_fixed;
	atomic_init(&c->state, CAPTURE_OPENING);
	c->open_cmd.c = c;
	c->open_cmd.op = CMD_OPEN;
	c->close_cmd.c = c;
	c->close_cmd.op = CMD_CLOSE;
	submit(&c->open_cmd);
	return c;
}

enum capture_state capture_state(struct capture *c, uint32_t *rate, char *why, size_t len)
{
	enum capture_state s = atomic_load_explicit(&c->state, memory_order_acquire);

	if (rate)
		*rate = s == CAPTURE_RUNNING ? c->rate : 0;
	if (why && len && s == CAPTURE_FAILED)
		snprintf(why, len, "%s", c->why);
	else if (why && len)
		why[0] = '\0'; /* no formatting on the streaming path */
	return s;
}

bool capture_route(struct capture *c, struct capture_route *out)
{
	if (atomic_load_explicit(&c->state, memory_order_acquire) != CAPTURE_RUNNING)
		return false;
	*out = c->route;
	return true;
}

const struct capture_block *capture_peek(struct capture *c)
{
	uint32_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);

	if (atomic_load_explicit(&c->head, memory_order_acquire) == tail)
		return NULL;
	return &c->ring[tail % RING_SLOTS];
}

void capture_release(struct capture *c)
{
	atomic_fetch_add_explicit(&c->tail, 1, memory_order_release);
}

uint64_t capture_take_dropped(struct capture *c)
{
	return atomic_exchange(&c->dropped, 0);
}

void capture_close(struct capture *c)
{
	atomic_store(&c->closing, true);
	submit(&c->close_cmd);
}

void capture_devices_changed(void)
{
	atomic_store(&devices_stale, true);
}
