#include "daemon/capture_alsa.h"

#include <alsa/asoundlib.h>
#include <dlfcn.h>
#include <math.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/dynlib.h"
#include "daemon/log.h"
#include "daemon/queue.h"

#define BLOCK_MS 10u

struct capture_alsa {
	struct capture_alsa_sink sink;
	PaStream *stream;
	int channels;
	uint32_t rate;
	atomic_bool closing;       /* PortAudio's finished callback is not a failure then */
};

static atomic_bool devices_stale = true;
static bool pa_ready;
static unsigned open_streams;

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

/* ---- PortAudio's callback thread ------------------------------------------------------ */

static int on_audio(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *arg)
{
	struct capture_alsa *a = arg;
	double age = (double)frames / a->rate;

	(void)output;
	(void)flags;
	if (!input)
		return paContinue;
	/* The first sample's age: what the host API says when it says something sane, else
	 * the buffer's duration (it was just filled). */
	if (ti && ti->inputBufferAdcTime > 0 && ti->currentTime >= ti->inputBufferAdcTime &&
	    ti->currentTime - ti->inputBufferAdcTime < 1.0)
		age = ti->currentTime - ti->inputBufferAdcTime;
	a->sink.samples(a->sink.arg, input, frames, a->channels,
	                queue_now_mono_us() - (uint64_t)(age * 1e6));
	return paContinue;
}

/* PortAudio ends a stream by itself only when the device failed or went away. */
static void on_finished(void *arg)
{
	struct capture_alsa *a = arg;

	if (!atomic_load(&a->closing))
		a->sink.failed(a->sink.arg, "the microphone stopped (unplugged or failed)");
}

/* ---- opening ------------------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

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

static void not_found(const struct capture_source *s, char *why, size_t len)
{
	switch (s->kind) {
	case CAPTURE_DEFAULT:
		say(why, len, "no default capture device");
		break;
	case CAPTURE_CARD:
		say(why, len, "no capture device for ALSA card %d", s->card);
		break;
	default:
		say(why, len, "no capture device named '%s'", s->name);
		break;
	}
}

/* PortAudio lists devices once per Pa_Initialize, so a card plugged in later is seen only
 * after listing again. That is done only when needed (the sound devices changed, or the
 * wanted one is missing) and only while nothing is open: each listing loads and unloads
 * ALSA's plugins, and some of their libraries leave memory behind when unloaded. */
static bool refresh_devices(bool force, char *why, size_t len)
{
	uint64_t t0 = queue_now_mono_us();
	PaError err;

	if (!load_alsa_backend()) {
		say(why, len, "cannot load PortAudio (libportaudio.so.2) and alsa-lib");
		return false;
	}
	if (open_streams || (pa_ready && !force && !atomic_load(&devices_stale)))
		return true;
	atomic_store(&devices_stale, false);
	if (pa_ready)
		pa.Pa_Terminate();
	pa_ready = false;
	err = pa.Pa_Initialize();
	if (err != paNoError) {
		say(why, len, "PortAudio: %s", pa.Pa_GetErrorText(err));
		return false;
	}
	pa_ready = true;
	log_debug("PortAudio listed %d devices in %llu ms", (int)pa.Pa_GetDeviceCount(),
	          (unsigned long long)((queue_now_mono_us() - t0) / 1000));
	return true;
}

/* Mono when the device takes it (else two channels, averaged, up to max_channels); the
 * wanted rate when the device takes it (else, unless fixed, other_rate). */
static bool pick_format(PaStreamParameters *p, int max_channels, uint32_t want_rate,
                        bool rate_fixed, double other_rate, double *rate)
{
	double rates[2] = {want_rate, round(other_rate)};
	size_t n_rates = rate_fixed || rates[1] == rates[0] ? 1 : 2;

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

/* Opens and starts a->stream at `rate` from p: 10 ms buffers, the callback into the sink.
 * On failure no stream is left behind. */
static PaError start_stream(struct capture_alsa *a, const PaStreamParameters *p, double rate,
                            uint32_t *rate_out)
{
	PaError err;

	a->rate = (uint32_t)rate;
	*rate_out = a->rate;
	a->channels = p->channelCount;
	err = pa.Pa_OpenStream(&a->stream, p, NULL, rate,
	                    a->rate / (1000 / BLOCK_MS) < CAPTURE_BLOCK_MAX
	                            ? a->rate / (1000 / BLOCK_MS) : CAPTURE_BLOCK_MAX,
	                    paClipOff, on_audio, a);
	if (err != paNoError) {
		a->stream = NULL;
		return err;
	}
	pa.Pa_SetStreamFinishedCallback(a->stream, on_finished);
	err = pa.Pa_StartStream(a->stream);
	if (err != paNoError) {
		pa.Pa_CloseStream(a->stream);
		a->stream = NULL;
		return err;
	}
	open_streams++;
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
static bool open_shared(struct capture_alsa *a, const struct capture_source *src,
                        uint32_t want_rate, bool rate_fixed, uint32_t *rate_out)
{
	char pcm[48];
	PaAlsaStreamInfo info;
	PaStreamParameters p = {0};
	double rate = 0;
	PaError err;

	snprintf(pcm, sizeof pcm, "dsnoop:CARD=%d,RATE=%u", src->card, (unsigned)want_rate);
	pa.PaAlsa_InitializeStreamInfo(&info);
	info.deviceString = pcm;
	p.device = paUseHostApiSpecificDeviceSpecification;
	p.sampleFormat = paInt16;
	p.suggestedLatency = 2 * BLOCK_MS / 1000.0;
	p.hostApiSpecificStreamInfo = &info;
	if (!pick_format(&p, 2, want_rate, rate_fixed, 48000, &rate)) {
		log_info("cannot share ALSA card %d through dsnoop (%s does not open for 16-bit "
		         "capture at %u%s Hz): opening it alone", src->card, pcm,
		         (unsigned)want_rate, rate_fixed ? "" : " or 48000");
		return false;
	}
	err = start_stream(a, &p, rate, rate_out);
	if (err != paNoError) {
		log_info("cannot share ALSA card %d through dsnoop (%s: %s): opening it alone",
		         src->card, pcm, pa.Pa_GetErrorText(err));
		return false;
	}
	log_info("capturing from ALSA card %d shared through dsnoop (%s) at %u Hz, %d channel%s",
	         src->card, pcm, (unsigned)a->rate, a->channels,
	         a->channels == 1 ? "" : "s (averaged)");
	return true;
}

static bool open_alone(struct capture_alsa *a, const struct capture_source *src,
                       uint32_t want_rate, bool rate_fixed, uint32_t *rate_out, char *why,
                       size_t len)
{
	PaStreamParameters p = {0};
	const PaDeviceInfo *info;
	double rate = 0;
	PaError err;

	p.device = find_device(src);
	if (p.device == paNoDevice && !open_streams) {
		/* Perhaps it appeared without a sound card event (a sound server started). */
		if (!refresh_devices(true, why, len))
			return false;
		p.device = find_device(src);
	}
	if (p.device == paNoDevice) {
		not_found(src, why, len);
		return false;
	}
	info = pa.Pa_GetDeviceInfo(p.device);
	p.sampleFormat = paInt16;
	p.suggestedLatency = info->defaultLowInputLatency;
	if (!pick_format(&p, info->maxInputChannels, want_rate, rate_fixed,
	                 info->defaultSampleRate, &rate)) {
		say(why, len, "'%s' cannot capture 16-bit audio at %u Hz%s", info->name,
		    (unsigned)want_rate, rate_fixed ? " (audio.capture_rate)" : "");
		return false;
	}
	err = start_stream(a, &p, rate, rate_out);
	if (err != paNoError) {
		say(why, len, "cannot open '%s': %s", info->name, pa.Pa_GetErrorText(err));
		return false;
	}
	log_info("capturing from '%s' through ALSA at %u Hz, %d channel%s%s", info->name,
	         (unsigned)a->rate, a->channels, a->channels == 1 ? "" : "s (averaged)",
	         src->kind == CAPTURE_CARD ? ", holding the card alone" : "");
	return true;
}

/* ---- the interface ------------------------------------------------------------------------ */

struct capture_alsa *capture_alsa_open(const struct capture_source *src, uint32_t want_rate,
                                       bool rate_fixed, const struct capture_alsa_sink *sink,
                                       uint32_t *rate, const char **via, char *why,
                                       size_t len)
{
	struct capture_alsa *a;

	if (!refresh_devices(false, why, len))
		return NULL;
	a = calloc(1, sizeof *a);
	if (!a) {
		say(why, len, "out of memory");
		return NULL;
	}
	a->sink = *sink;
	if (src->kind == CAPTURE_CARD && open_shared(a, src, want_rate, rate_fixed, rate)) {
		*via = "alsa-dsnoop";
		return a;
	}
	if (open_alone(a, src, want_rate, rate_fixed, rate, why, len)) {
		*via = "alsa";
		return a;
	}
	free(a);
	return NULL;
}

void capture_alsa_close(struct capture_alsa *a)
{
	atomic_store(&a->closing, true);
	pa.Pa_AbortStream(a->stream);
	pa.Pa_CloseStream(a->stream);
	open_streams--;
	free(a);
}

void capture_alsa_devices_changed(void)
{
	atomic_store(&devices_stale, true);
}

void capture_alsa_exit(void)
{
	if (pa_ready)
		pa.Pa_Terminate();
	pa_ready = false;
	/* ALSA keeps its parsed configuration for the process's lifetime otherwise. */
	if (asound.snd_config_update_free_global)
		asound.snd_config_update_free_global();
}
