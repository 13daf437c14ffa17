/* Over 600 lines on purpose, for now: the unit life cycle (hidraw nodes grouped into
 * units, identification, microphone pairing), decoding and the keymap, LEDs and virtual
 * units share the one unit list, which is also the daemon's registry of devices, and its
 * invariants (hub.h). */
#include "daemon/hub.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/audio.h"
#include "daemon/audio_pair.h"
#include "daemon/capture.h"
#include "daemon/hid.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/queue.h"
#include "daemon/router.h"
#include "daemon/server.h"
#include "dictabridge-version.h"
#include "protocol/keymap.h"

#define UNIT_MAX_IFACES 4
#define MAX_COLLECTIONS 8
#define ID_MAX (PM_MAX_ID_CHARS + 1)

struct unit;

/* One opened HID collection (one hidraw node). */
struct iface {
	uint32_t id;
	char *syspath;
	const struct db_row *row;
	struct hid_iface *io;
	struct unit *unit;
	uint32_t buttons;          /* last reported state of this collection */
	/* The newest report that arrived before the unit was announced (a buttons-only
	 * collection opens while the control collection still identifies the unit). Reports
	 * are level-triggered, so the newest is the state. */
	struct dev_event early;
	bool has_early;
	struct iface *next;        /* all interfaces */
};

/* One physical device, as clients see it. */
struct unit {
	char *syspath;
	char id[ID_MAX];
	char *serial;
	uint16_t vid, pid;
	enum db_family family;
	struct db_model generic;   /* the row's model, used until (or unless) identified,
	                            * or a device code the table does not know */
	char model_name[64];       /* generic.name of an unknown device code */
	const struct db_model *model;
	int event_mode;            /* enum db_event_mode the unit answered, -1: not known */
	bool announced;
	struct iface *ifaces[UNIT_MAX_IFACES];
	size_t n_ifaces;
	uint32_t buttons;          /* OR of the collections' states: what clients were told */
	enum db_motion motion;
	struct km_tracker km;
	struct db_led_state leds;
	struct capture_source mic; /* valid when has_mic */
	bool has_mic;
	struct adev *audio;        /* audio.c's side of it (hub_device_audio) */
	struct loop_timer hold_timer;
	/* A virtual unit (--virtual-device): no collections; press requests release their
	 * buttons at release_at (monotonic ms, 0: held until released). */
	bool is_virtual;
	uint64_t release_at[DB_BTN_COUNT];
	struct client *held_by[DB_BTN_COUNT]; /* an untimed press: released when it leaves */
	struct loop_timer release_timer;
	struct unit *next;
};

static const struct config *config;
static struct unit *units;
static struct iface *ifaces;
static uint32_t next_iface_id = 1;
static bool state_recording, state_report_open;

static void audio_route_changed(const char *id);

void hub_init(const struct config *cfg)
{
	config = cfg;
	audio_set_capture_rate(cfg->audio_capture_rate);
	audio_set_route_listener(audio_route_changed);
}

static void audio_changed(struct unit *u, const char *gone);

void hub_set_config(const struct config *cfg)
{
	config = cfg;
	audio_set_capture_rate(cfg->audio_capture_rate);
	for (struct unit *u = units; u; u = u->next)
		audio_changed(u, NULL);
}

/* ---- lookups ----------------------------------------------------------------------- */

static struct unit *unit_by_syspath(const char *syspath)
{
	for (struct unit *u = units; u; u = u->next)
		if (strcmp(u->syspath, syspath) == 0)
			return u;
	return NULL;
}

static struct unit *unit_by_id(const char *id)
{
	for (struct unit *u = units; u; u = u->next)
		if (u->announced && strcmp(u->id, id) == 0)
			return u;
	return NULL;
}

struct unit *hub_device(const char *id)
{
	return unit_by_id(id);
}

struct unit *hub_device_next(struct unit *u)
{
	for (u = u ? u->next : units; u && !u->announced; u = u->next)
		;
	return u;
}

const char *hub_device_id(const struct unit *u)
{
	return u->id;
}

const struct capture_source *hub_device_mic(const struct unit *u)
{
	return u->has_mic ? &u->mic : NULL;
}

struct adev **hub_device_audio(struct unit *u)
{
	return &u->audio;
}

static struct iface *iface_by_id(uint32_t id)
{
	for (struct iface *i = ifaces; i; i = i->next)
		if (i->id == id)
			return i;
	return NULL;
}

static struct iface *iface_by_syspath(const char *syspath)
{
	for (struct iface *i = ifaces; i; i = i->next)
		if (strcmp(i->syspath, syspath) == 0)
			return i;
	return NULL;
}

/* The collection LEDs are written to. */
static struct iface *led_iface(const struct unit *u)
{
	for (size_t i = 0; i < u->n_ifaces; i++)
		if (u->ifaces[i]->row->wire->encode_leds)
			return u->ifaces[i];
	return NULL;
}

static const struct db_wire *led_wire(const struct unit *u)
{
	/* a virtual unit has the LEDs of its family's first unit that has any */
	for (const struct db_row *r = db_rows; r < db_rows + db_row_count; r++)
		if ((u->is_virtual ? r->family == u->family
		                   : r->vendor_id == u->vid && r->product_id == u->pid) &&
		    r->wire->encode_leds)
			return r->wire;
	return NULL;
}

/* ---- protocol views ------------------------------------------------------------------- */

/* The unit's microphone: its own sound card (found in sysfs), else the configured device,
 * else (only when the config allows it) the system default. Never a guess: the wrong
 * microphone would record the wrong room. Units without a microphone (pedals) get none; a
 * virtual unit has no card, so it records from the configured device, which lets a page
 * be built and a stream be measured with no hardware at all. Returns whether it changed. */
static bool refresh_mic(struct unit *u, const char *gone)
{
	struct capture_source src;
	struct audio_card card;
	bool has = true;

	memset(&src, 0, sizeof src); /* compared whole, padding included */
	if (!db_family_has_microphone(u->family)) {
		has = false;
	} else if (!u->is_virtual && audio_pair_find(u->syspath, gone, &card)) {
		src.kind = CAPTURE_CARD;
		src.card = card.number;
		snprintf(src.name, sizeof src.name, "%s", card.id);
		snprintf(src.path, sizeof src.path, "%s", card.devpath);
	} else if (config->audio_device) {
		src.kind = CAPTURE_NAMED;
		snprintf(src.name, sizeof src.name, "%s", config->audio_device);
	} else if (config->audio_allow_system_default) {
		src.kind = CAPTURE_DEFAULT;
		snprintf(src.name, sizeof src.name, "default");
	} else {
		has = false;
	}
	if (has == u->has_mic && (!has || memcmp(&src, &u->mic, sizeof src) == 0))
		return false;
	u->has_mic = has;
	u->mic = src;
	return true;
}

static void describe(const struct unit *u, struct pm_device *d)
{
	const struct db_wire *w = led_wire(u);

	memset(d, 0, sizeof *d);
	d->id = u->id;
	d->family = u->family;
	d->model = u->model->name;
	d->model_code = u->model->code;
	d->has_event_mode = u->event_mode >= 0;
	d->event_mode = u->event_mode;
	d->vendor_id = u->vid;
	d->product_id = u->pid;
	d->serial = u->serial;
	d->buttons = db_buttons_of(u->family, u->model);
	d->slider = db_slider_positions_of(u->model);
	if (w) {
		d->leds = w->leds;
		d->led_blink = w->led_blink;
	}
	d->is_virtual = u->is_virtual;
	if (u->is_virtual)
		d->led_state = &u->leds;
	if (u->has_mic) {
		static const char *const sources[] = {"paired", "config", "default"};

		const struct capture_route *r = audio_device_route(u->id);

		d->audio_source = sources[u->mic.kind];
		d->audio_card = u->mic.card;
		d->audio_name = u->mic.name;
		if (r) {
			d->audio_via = r->via;
			d->audio_server_source = r->source[0] ? r->source : NULL;
			d->audio_default_input = r->is_default;
		}
	}
}


/* Fills a snapshot of the announced units; returns how many. */
static size_t snapshot(struct pm_device **out)
{
	size_t n = 0, i = 0;

	for (struct unit *u = units; u; u = u->next)
		n += u->announced;
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return 0;
	for (struct unit *u = units; u; u = u->next)
		if (u->announced)
			describe(u, &(*out)[i++]);
	return i;
}

char *hub_hello(void)
{
	struct pm_device *devs;
	size_t n = snapshot(&devs);
	char *json = pm_hello(DICTABRIDGE_VERSION, devs, n);

	free(devs);
	return json;
}

char *hub_status(unsigned clients)
{
	struct pm_device *devs;
	size_t n = snapshot(&devs);
	char *json = pm_status(DICTABRIDGE_VERSION, clients, devs, n);

	free(devs);
	return json;
}

static void broadcast_owned(char *json)
{
	server_broadcast(json);
	free(json);
}

/* ---- LEDs -------------------------------------------------------------------------------- */

static void leds_write(struct unit *u)
{
	struct iface *i = led_iface(u);
	const struct db_wire *w;
	uint8_t buf[64];
	size_t len;

	if (u->is_virtual) { /* the LEDs a virtual unit would light, for clients to show */
		if ((w = led_wire(u)) != NULL && u->announced)
			broadcast_owned(pm_leds(u->id, &u->leds, w->leds));
		return;
	}
	if (!i)
		return;
	len = i->row->wire->encode_leds(&u->leds, buf, sizeof buf);
	if (len)
		hid_iface_write(i->io, buf, len);
}

/* The record LED tells the truth about the reporting app: recording → red, a report
 * open → green, neither → off. */
static void leds_apply_state(struct unit *u)
{
	struct db_led_value *rec = &u->leds.led[DB_LED_RECORD];

	rec->mode = DB_MODE_ON;
	rec->color = state_recording ? DB_COLOR_RED
	           : state_report_open ? DB_COLOR_GREEN : DB_COLOR_OFF;
}

__attribute__((format(printf, 3, 4)))
static char *error_json(const char *code, const char *request, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pm_error(code, msg, request);
}

char *hub_led(const struct pm_request *req)
{
	struct unit *u = unit_by_id(req->device_id);
	const struct db_wire *w;

	if (!u)
		return error_json(PM_ERR_UNKNOWN_DEVICE, "led", "no device with id '%s'",
		                  req->device_id);
	w = led_wire(u);
	if (!w || !(w->leds & (1u << req->led)))
		return error_json(PM_ERR_UNKNOWN_LED, "led", "this device has no LED '%s'",
		                  db_led_name(req->led));
	if (req->color != DB_COLOR_OFF && req->mode != DB_MODE_ON && !w->led_blink)
		return error_json(PM_ERR_UNSUPPORTED, "led", "LEDs of this device cannot %s",
		                  req->mode == DB_MODE_BLINK_SLOW ? "blink slowly" : "blink fast");
	u->leds.led[req->led].color = (uint8_t)req->color;
	u->leds.led[req->led].mode = (uint8_t)req->mode;
	leds_write(u);
	return NULL;
}

/* The collection that identified the unit takes its family's vendor commands. */
static struct iface *vendor_iface(const struct unit *u)
{
	for (size_t i = 0; i < u->n_ifaces; i++)
		if (db_row_ident(u->ifaces[i]->row))
			return u->ifaces[i];
	return NULL;
}

/* Switches a SpeechMike's event mode: only ever on request, never on the daemon's own
 * initiative (other programs on the workstation may rely on the mode it is in). */
char *hub_mode(const struct pm_request *req)
{
	struct unit *u = unit_by_id(req->device_id);
	struct iface *i;
	size_t (*cmd)(int mode, uint8_t *out, size_t cap);
	uint8_t buf[16];
	size_t len;

	if (!u)
		return error_json(PM_ERR_UNKNOWN_DEVICE, "mode", "no device with id '%s'",
		                  req->device_id);
	if (!(i = vendor_iface(u)) || !(cmd = db_row_ident(i->row)->event_mode_command))
		return error_json(PM_ERR_UNSUPPORTED, "mode",
		                  "only a plugged SpeechMike has an event mode");
	if (u->event_mode == req->event_mode)
		return error_json(PM_ERR_UNSUPPORTED, "mode", "the unit is already in %s mode",
		                  db_event_mode_name(req->event_mode));
	len = cmd(req->event_mode, buf, sizeof buf);
	if (!len)
		return error_json(PM_ERR_INVALID_FIELD, "mode", "no such event mode");
	log_info("%s: switching to %s mode on request; the unit re-enumerates", u->id,
	         db_event_mode_name(req->event_mode));
	hid_iface_command(i->io, buf, len);
	return NULL;
}

void hub_show_state(bool recording, bool report_open)
{
	state_recording = recording;
	state_report_open = report_open;
	for (struct unit *u = units; u; u = u->next) {
		struct db_led_value was = u->leds.led[DB_LED_RECORD];

		leds_apply_state(u);
		if (memcmp(&was, &u->leds.led[DB_LED_RECORD], sizeof was) != 0)
			leds_write(u);
	}
}

/* ---- gestures ------------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	return queue_now_mono_us() / 1000u;
}

static void hold_timer_fired(void *arg);

/* `gesture` overrides the fires' own gestures ("unplug", "slider"); NULL keeps them. */
static void send_fires(const struct unit *u, const struct km_fire *f, size_t n,
                       const char *gesture)
{
	for (size_t i = 0; i < n; i++) {
		char *json = pm_command(u->id, f[i].command, f[i].button,
		                        gesture ? gesture : km_gesture_name(f[i].gesture));

		router_send_command(json);
		free(json);
	}
}

/* Arms the one-shot timer for the next pending hold or push-to-talk tail, if any: none, no
 * wake-up. */
static void hold_timer_rearm(struct unit *u)
{
	uint64_t deadline = km_next_deadline(&config->keymap, u->family, &u->km);
	uint64_t now = now_ms();

	if (deadline == UINT64_MAX) {
		loop_timer_stop(&u->hold_timer);
		return;
	}
	loop_timer_start(&u->hold_timer, deadline > now ? deadline - now : 0, hold_timer_fired, u);
}

static bool unit_listed(const struct unit *u)
{
	for (const struct unit *v = units; v; v = v->next)
		if (v == u)
			return true;
	return false;
}

static void hold_timer_fired(void *arg)
{
	struct unit *u = arg;
	struct km_fire fires[KM_MAX_FIRES];
	size_t n;

	/* When the loop ran late (a loaded machine), a release read before the deadline may
	 * still wait in the queue: take it first, so that a short press is never judged a
	 * hold (a stray press must not sign). */
	hub_drain();
	if (!unit_listed(u))
		return; /* unplugged in what was waiting */
	n = km_on_timer(&config->keymap, u->family, &u->km, now_ms(), fires, KM_MAX_FIRES);
	send_fires(u, fires, n, NULL);
	hold_timer_rearm(u);
}

/* Emits every change between the unit's reported state and `now`, in button order;
 * `unplugged`: the buttons were released by pulling the unit out (gesture "unplug"). */
static void buttons_changed(struct unit *u, uint32_t now, int64_t time_ms, uint64_t mono_ms,
                            bool unplugged)
{
	uint32_t diff = u->buttons ^ now;

	for (int b = 0; b < DB_BTN_COUNT; b++) {
		struct km_fire fires[KM_MAX_FIRES];
		bool pressed = now & DB_BTN_BIT(b);
		size_t n;

		if (!(diff & DB_BTN_BIT(b)))
			continue;
		broadcast_owned(pm_button(u->id, b, pressed, time_ms));
		n = km_on_button(&config->keymap, u->family, &u->km, b, pressed, mono_ms, fires,
		                 KM_MAX_FIRES);
		send_fires(u, fires, n, unplugged && !pressed ? "unplug" : NULL);
	}
	if (unplugged) {
		struct km_fire fires[KM_MAX_FIRES];
		size_t n = km_end_tail(&u->km, fires, KM_MAX_FIRES);

		send_fires(u, fires, n, "unplug");
	}
	u->buttons = now;
	hold_timer_rearm(u);
}

static uint32_t unit_buttons(const struct unit *u)
{
	uint32_t all = 0;

	for (size_t i = 0; i < u->n_ifaces; i++)
		all |= u->ifaces[i]->buttons;
	return all;
}

static void slider_moved(struct unit *u, int position, int64_t time_ms)
{
	struct km_fire fires[KM_MAX_FIRES];
	size_t n;

	if (position < 0 || position == u->km.slider)
		return;
	broadcast_owned(pm_slider(u->id, position, time_ms));
	n = km_on_slider(&config->keymap, u->family, &u->km, position, fires, KM_MAX_FIRES);
	send_fires(u, fires, n, "slider");
}

/* ---- units and interfaces ------------------------------------------------------------------------ */

/* Restricts an id to characters safe in URLs, logs and shells. */
static void sanitize_id(char *id)
{
	for (char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_'))
			*c = '_';
}

static bool id_taken(const char *id)
{
	for (struct unit *u = units; u; u = u->next)
		if (strcmp(u->id, id) == 0)
			return true;
	return false;
}

/* A stable id: the same unit gets the same id after a replug (serial, or else the USB
 * port it sits in). Units that share a serial number exist (pedals, cloned firmware):
 * the later one also names its port, so that no two devices ever share an id, which
 * clients use to address LEDs and to forget removed devices. The port comes first so
 * that truncating a long serial cannot make the ids equal again. */
static void make_id(struct unit *u, const char *port)
{
	bool serial = u->serial && *u->serial;

	if (serial) {
		snprintf(u->id, sizeof u->id, "%04x-%04x-%s", u->vid, u->pid, u->serial);
		sanitize_id(u->id);
		if (!id_taken(u->id))
			return;
	}
	snprintf(u->id, sizeof u->id, "%04x-%04x-usb%s%s%s", u->vid, u->pid, port,
	         serial ? "-" : "", serial ? u->serial : "");
	sanitize_id(u->id);
}

static struct unit *unit_new(const struct hotplug_node *node, const struct db_row *row)
{
	struct unit *u = calloc(1, sizeof *u);

	if (!u || !(u->syspath = strdup(node->unit_syspath))) {
		free(u);
		return NULL;
	}
	u->serial = node->serial && *node->serial ? strdup(node->serial) : NULL;
	u->vid = node->vendor_id;
	u->pid = node->product_id;
	u->family = row->family;
	u->generic = *db_model_lookup(row->family, 0);
	u->generic.name = row->model;
	u->model = &u->generic;
	u->km.slider = -1;
	u->event_mode = -1;
	make_id(u, node->unit_port);
	u->next = units;
	units = u;
	return u;
}

static void unit_free(struct unit *u)
{
	struct unit **pp = &units;

	while (*pp != u)
		pp = &(*pp)->next;
	*pp = u->next;
	loop_timer_stop(&u->hold_timer);
	free(u->syspath);
	free(u->serial);
	free(u);
}

static void on_report(struct iface *i, const struct dev_event *ev);

static void announce(struct unit *u)
{
	struct pm_device d;

	u->announced = true;
	log_info("attached %s (serial %s) as %s", u->model->name,
	         u->serial ? u->serial : "none", u->id);
	if (!db_event_mode_delivers_buttons(u->event_mode))
		log_warn("%s is in %s mode: its buttons do not reach dictabridge; switch it to "
		         "HID mode with: dictabridge mode %s hid", u->id,
		         db_event_mode_name(u->event_mode), u->id);
	refresh_mic(u, NULL);
	describe(u, &d);
	broadcast_owned(pm_device_added(&d));
	audio_device_present(u->id);
	leds_apply_state(u);
	leds_write(u);
	for (size_t k = 0; k < u->n_ifaces; k++) {
		struct iface *i = u->ifaces[k];

		if (i->has_early) {
			i->has_early = false;
			on_report(i, &i->early);
		}
	}
}

/* Whether the reporting app may be recording because of this unit: it can start
 * recording and the app says it is recording. */
static bool may_be_recording(const struct unit *u)
{
	const struct km_family_map *m = &config->keymap.family[u->family];

	if (!state_recording)
		return false;
	if (db_slider_positions_of(u->model) & DB_BTN_BIT(DB_BTN_RECORD))
		return true;
	for (int b = 0; b < DB_BTN_COUNT; b++)
		for (int g = 0; g < KM_GESTURE_COUNT; g++)
			if (m->bind[b][g] == KM_RECORD_TOGGLE || m->bind[b][g] == KM_RECORD_START)
				return true;
	return false;
}

static void unit_removed(struct unit *u)
{
	if (u->announced) {
		/* Clinical safety: pulling the microphone out must not leave dictation running. */
		if (may_be_recording(u)) {
			char *json = pm_command(u->id, KM_RECORD_STOP, -1, "unplug");

			router_send_command(json);
			free(json);
		}
		log_info("detached %s (serial %s) %s", u->model->name,
		         u->serial ? u->serial : "none", u->id);
		/* Streams end first: a client that forgets the device at device.removed has
		 * already been told (unless frames were still queued for it). */
		audio_device_gone(u->id);
		broadcast_owned(pm_device_removed(u->id));
	}
	unit_free(u);
}

/* The unit's microphone may have changed (sound card, configuration): clients and the
 * audio streams follow. */
static void audio_changed(struct unit *u, const char *gone)
{
	struct pm_device d;

	if (!u->announced || !refresh_mic(u, gone))
		return;
	log_info("%s: microphone %s%s", u->id, u->has_mic ? "now " : "none",
	         u->has_mic ? u->mic.name : "");
	describe(u, &d);
	broadcast_owned(pm_device_changed(&d));
	audio_device_present(u->id);
}

/* A capture found its microphone by another route (sound server or ALSA, the server's
 * default input or not): clients see it in the device's audio object. */
static void audio_route_changed(const char *id)
{
	struct pm_device d;

	for (struct unit *u = units; u; u = u->next) {
		if (u->announced && strcmp(u->id, id) == 0) {
			describe(u, &d);
			broadcast_owned(pm_device_changed(&d));
		}
	}
}

void hub_sound_changed(const char *syspath, bool removed)
{
	capture_devices_changed();
	for (struct unit *u = units; u; u = u->next)
		if (audio_pair_under(syspath, u->syspath))
			audio_changed(u, removed ? syspath : NULL);
}

static void iface_remove(struct iface *i, const char *why)
{
	struct unit *u = i->unit;
	struct iface **pp = &ifaces;

	log_debug("collection %s gone: %s", i->syspath, why);
	hid_iface_stop(i->io);
	i->buttons = 0;
	if (u->announced) {
		uint32_t held = unit_buttons(u);

		if (held != u->buttons) /* a button held while unplugged is released first */
			buttons_changed(u, held, queue_now_real_ms(), now_ms(), true);
	}
	for (size_t k = 0; k < u->n_ifaces; k++) {
		if (u->ifaces[k] == i) {
			memmove(&u->ifaces[k], &u->ifaces[k + 1],
			        (u->n_ifaces - k - 1) * sizeof u->ifaces[0]);
			u->n_ifaces--;
			break;
		}
	}
	while (*pp != i)
		pp = &(*pp)->next;
	*pp = i->next;
	free(i->syspath);
	free(i);
	if (!u->n_ifaces)
		unit_removed(u);
}

static const struct db_row *match_node(const struct hotplug_node *node)
{
	uint16_t pages[MAX_COLLECTIONS], usages[MAX_COLLECTIONS];
	size_t n = hid_collections(node->vendor_id, node->product_id, node->devnode, pages,
	                           usages, MAX_COLLECTIONS);

	for (size_t k = 0; k < n; k++) {
		const struct db_row *row =
			db_match(node->vendor_id, node->product_id, pages[k], usages[k]);
		if (row)
			return row;
	}
	return NULL;
}

void hub_node_added(const struct hotplug_node *node)
{
	const struct db_row *row;
	struct unit *u;
	struct iface *i;

	if (iface_by_syspath(node->syspath))
		return;
	row = match_node(node);
	if (!row)
		return;
	u = unit_by_syspath(node->unit_syspath);
	if (!u && !(u = unit_new(node, row)))
		return;
	if (u->n_ifaces == UNIT_MAX_IFACES || !(i = calloc(1, sizeof *i))) {
		if (!u->n_ifaces)
			unit_free(u);
		return;
	}
	i->id = next_iface_id++;
	i->row = row;
	i->unit = u;
	i->syspath = strdup(node->syspath);
	i->io = i->syspath ? hid_iface_start(node->devnode, row, i->id,
	                                     config->identify_timeout_ms)
	                   : NULL;
	if (!i->io) {
		log_error("cannot start I/O for %s", node->devnode);
		free(i->syspath);
		free(i);
		if (!u->n_ifaces)
			unit_free(u);
		return;
	}
	u->ifaces[u->n_ifaces++] = i;
	i->next = ifaces;
	ifaces = i;
	log_debug("opening %s (%s collection %04x:%04x)", node->devnode,
	          db_family_name(row->family), row->usage_page, row->usage);
}

void hub_node_removed(const char *syspath)
{
	struct iface *i = iface_by_syspath(syspath);

	if (i)
		iface_remove(i, "unplugged");
}

/* ---- device events ------------------------------------------------------------------------------- */

static void on_opened(struct iface *i, uint16_t code, int8_t event_mode)
{
	struct unit *u = i->unit;

	if (db_row_ident(i->row) && code)
		u->model = db_model_identified(u->family, code, &u->generic, u->model_name,
		                               sizeof u->model_name);
	if (db_row_ident(i->row))
		u->event_mode = event_mode;
	/* A buttons-only collection opens at once, but the unit's control collection may
	 * still be identifying it: the device object clients get (model, slider, buttons)
	 * has no later update, so it waits for the control collection. */
	if (!u->announced && i->row->role == DB_ROLE_MAIN)
		announce(u);
}

static void on_report(struct iface *i, const struct dev_event *ev)
{
	struct unit *u = i->unit;
	struct db_input in;

	if (!u->announced) {
		i->early = *ev;
		i->early.next = NULL;
		i->has_early = true;
		return;
	}
	db_decode(i->row, u->model, ev->data, ev->len, &in);
	switch (in.kind) {
	case DB_INPUT_BUTTONS:
		slider_moved(u, in.slider, ev->real_ms);
		i->buttons = in.buttons;
		buttons_changed(u, unit_buttons(u), ev->real_ms, ev->mono_us / 1000u, false);
		break;
	case DB_INPUT_MOTION:
		if (in.motion != u->motion) {
			u->motion = in.motion;
			broadcast_owned(pm_motion(u->id, in.motion));
		}
		break;
	case DB_INPUT_IGNORE:
		break;
	}
}

void hub_drain(void)
{
	uint64_t dropped;
	struct dev_event *list = queue_take_all(&dropped);

	if (dropped)
		log_warn("dropped %llu device reports (event queue full)",
		         (unsigned long long)dropped);
	for (struct dev_event *ev = list; ev; ev = ev->next) {
		struct iface *i = iface_by_id(ev->iface_id);

		if (!i)
			continue; /* already removed: late events of a stopped collection */
		switch (ev->kind) {
		case DEV_EV_OPENED:
			on_opened(i, ev->model_code, ev->event_mode);
			break;
		case DEV_EV_REPORT:
			on_report(i, ev);
			break;
		case DEV_EV_OPEN_FAILED:
			log_warn("cannot open %s: %s", i->syspath, ev->text);
			iface_remove(i, ev->text);
			break;
		case DEV_EV_GONE:
			iface_remove(i, ev->text);
			break;
		}
	}
	queue_free(list);
}

/* ---- virtual units ---------------------------------------------------------------------------- */

static void release_timer_fired(void *arg);

/* Releases the timed presses that are due, and arms the timer for the next one. */
static void virtual_release_due(struct unit *u)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	uint32_t held = u->buttons;

	for (int b = 0; b < DB_BTN_COUNT; b++) {
		if (!u->release_at[b])
			continue;
		if (u->release_at[b] <= now) {
			u->release_at[b] = 0;
			held &= ~DB_BTN_BIT(b);
		} else if (u->release_at[b] < next) {
			next = u->release_at[b];
		}
	}
	if (held != u->buttons)
		buttons_changed(u, held, queue_now_real_ms(), now, "release");
	if (next == UINT64_MAX)
		loop_timer_stop(&u->release_timer);
	else
		loop_timer_start(&u->release_timer, next - now, release_timer_fired, u);
}

static void release_timer_fired(void *arg)
{
	virtual_release_due(arg);
}

/* press / slide: input for a virtual unit only. No client can press a real unit's
 * buttons: those come from the hardware alone. */
char *hub_virtual_input(struct client *c, const struct pm_request *req)
{
	const char *type = req->type == PM_REQ_PRESS ? "press" : "slide";
	struct unit *u = unit_by_id(req->device_id);
	uint32_t bit = DB_BTN_BIT(req->button), held;

	if (!u)
		return error_json(PM_ERR_UNKNOWN_DEVICE, type, "no device with id '%s'",
		                  req->device_id);
	if (!u->is_virtual)
		return error_json(PM_ERR_UNSUPPORTED, type,
		                  "only a virtual device's buttons can be pressed");
	if (req->type == PM_REQ_SLIDE) {
		if (!(db_slider_positions_of(u->model) & bit))
			return error_json(PM_ERR_INVALID_FIELD, type,
			                  "this device's slide switch has no position '%s'",
			                  db_button_name(req->button));
		slider_moved(u, req->button, queue_now_real_ms());
		return NULL;
	}
	if (!(db_buttons_of(u->family, u->model) & bit))
		return error_json(PM_ERR_INVALID_FIELD, type, "this device has no button '%s'%s",
		                  db_button_name(req->button),
		                  db_slider_positions_of(u->model) & bit
		                          ? " (a slide switch position: use slide)" : "");
	held = req->pressed ? u->buttons | bit : u->buttons & ~bit;
	u->release_at[req->button] = req->pressed && req->hold_ms ? now_ms() + req->hold_ms : 0;
	u->held_by[req->button] = req->pressed && !req->hold_ms ? c : NULL;
	if (held != u->buttons)
		buttons_changed(u, held, queue_now_real_ms(), now_ms(), "release");
	virtual_release_due(u);
	return NULL;
}

void hub_client_gone(struct client *c)
{
	/* a page closed with a virtual button held down (by the mouse) lets go of it */
	for (struct unit *u = units; u; u = u->next) {
		uint32_t held = u->buttons;

		for (int b = 0; b < DB_BTN_COUNT; b++) {
			if (u->held_by[b] == c) {
				u->held_by[b] = NULL;
				held &= ~DB_BTN_BIT(b);
			}
		}
		if (held != u->buttons)
			buttons_changed(u, held, queue_now_real_ms(), now_ms(), "release");
	}
	audio_client_gone(c);
}

void hub_add_virtual(int family, uint16_t code)
{
	struct unit *u = calloc(1, sizeof *u);
	unsigned n = 1;

	if (!u)
		return;
	do
		snprintf(u->id, sizeof u->id, "virtual-%s-%u", db_family_name(family), n++);
	while (id_taken(u->id));
	if (!(u->syspath = strdup(u->id))) {
		free(u);
		return;
	}
	u->is_virtual = true;
	u->family = (enum db_family)family;
	u->generic = *db_model_lookup(u->family, code);
	snprintf(u->model_name, sizeof u->model_name, "Virtual %s", u->generic.name);
	u->generic.name = u->model_name;
	u->model = &u->generic;
	u->km.slider = -1;
	u->event_mode = -1;
	u->next = units;
	units = u;
	log_warn("virtual device %s (%s) added: no hardware behind it, for testing only "
	         "(press its buttons with: dictabridge press BUTTON --device %s)", u->id,
	         u->model->name, u->id);
	announce(u);
}

void hub_shutdown(void)
{
	for (struct unit *u = units; u; u = u->next) {
		memset(&u->leds, 0, sizeof u->leds);
		leds_write(u);
	}
	while (ifaces) {
		struct iface *i = ifaces;
		struct unit *u = i->unit;

		u->announced = false; /* nobody is listening any more: no messages */
		iface_remove(i, "shutting down");
	}
	while (units) { /* only virtual units are left */
		loop_timer_stop(&units->release_timer);
		unit_free(units);
	}
}
