/* dictabridged: flags, configuration, signals, start-up and orderly shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon/audio.h"
#include "daemon/audio_pair.h"
#include "daemon/capture.h"
#include "daemon/config.h"
#include "daemon/hid.h"
#include "daemon/hotplug.h"
#include "daemon/http.h"
#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/queue.h"
#include "daemon/router.h"
#include "daemon/server.h"
#include "daemon/webroot.h"
#include "dictabridge-version.h"

struct options {
	const char *config_path;
	int port;                      /* 0: from the config */
	const char *origins[CONFIG_MAX_ORIGINS];
	size_t n_origins;
	int verbose;
	int check_config;              /* --check-config: validate, report, exit */
	const char *web_root;          /* --web-root, else DICTABRIDGE_WEB_ROOT */
	const char *audio_device;      /* --audio-device */
	const char *virtual_devices[CONFIG_MAX_VIRTUAL + 1]; /* --virtual-device */
	size_t n_virtual;
};

static struct config active;       /* the configuration in force */
static struct options opts;
static int signal_fd = -1;

static void usage(FILE *out)
{
	char families[128];

	config_family_names(families, sizeof families);
	fprintf(out,
	        "Usage: dictabridged [OPTION]...\n"
	        "Serve dictation devices (SpeechMike, PowerMic, foot pedals) to web pages on\n"
	        "a local WebSocket (127.0.0.1 and ::1 only).\n\n"
	        "  --port N               listen on port N (default %d)\n"
	        "  --allow-origin ORIGIN  also allow web pages from ORIGIN (repeatable);\n"
	        "                         patterns like https://*.example.org are accepted\n"
	        "  --config FILE          read FILE instead of searching\n"
	        "                         $XDG_CONFIG_HOME/dictabridge/config.json, then\n"
	        "                         /etc/dictabridge/config.json\n"
	        "  --web-root DIR         serve DIR read-only under /demo/ and /web/\n"
	        "                         (default %s)\n"
	        "  --audio-device NAME    capture from the PortAudio device NAME (or the\n"
	        "                         first whose name contains NAME) for devices\n"
	        "                         without their own sound card\n"
	        "  --virtual-device FAMILY\n"
	        "                         add a virtual unit of FAMILY for testing without\n"
	        "                         hardware (repeatable); FAMILY:CODE for a model,\n"
	        "                         such as speechmike:3710. Families:\n"
	        "                         %s\n"
	        "  --verbose              log debug messages\n"
	        "  --check-config         check the configuration (with the options above)\n"
	        "                         and exit: 0 when valid, 1 with the error\n"
	        "  --version              print the version and exit\n"
	        "  --help                 print this help and exit\n\n"
	        "Signals: SIGHUP reloads the configuration; SIGTERM/SIGINT turn the LEDs off\n"
	        "and exit.\n",
	        CONFIG_DEFAULT_PORT, DICTABRIDGE_WEB_ROOT, families);
}

/* Returns -1 to continue, else the exit status. */
static int parse_args(int argc, char **argv)
{
	enum { OPT_PORT = 1, OPT_ORIGIN, OPT_CONFIG, OPT_VERBOSE, OPT_VERSION, OPT_HELP,
	       OPT_CHECK_CONFIG, OPT_WEB_ROOT, OPT_AUDIO_DEVICE, OPT_VIRTUAL_DEVICE };
	static const struct option longopts[] = {
		{"port", required_argument, NULL, OPT_PORT},
		{"allow-origin", required_argument, NULL, OPT_ORIGIN},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"verbose", no_argument, NULL, OPT_VERBOSE},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
		{"web-root", required_argument, NULL, OPT_WEB_ROOT},
		{"audio-device", required_argument, NULL, OPT_AUDIO_DEVICE},
		{"virtual-device", required_argument, NULL, OPT_VIRTUAL_DEVICE},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PORT:
			opts.port = config_parse_port(optarg);
			if (opts.port < 0) {
				fprintf(stderr, "dictabridged: --port: '%s' is not a port number "
				                "(1-65535)\n", optarg);
				return 2;
			}
			break;
		case OPT_ORIGIN:
			if (opts.n_origins == CONFIG_MAX_ORIGINS) {
				fprintf(stderr, "dictabridged: too many --allow-origin (at most %d)\n",
				        CONFIG_MAX_ORIGINS);
				return 2;
			}
			opts.origins[opts.n_origins++] = optarg;
			break;
		case OPT_CONFIG:
			opts.config_path = optarg;
			break;
		case OPT_WEB_ROOT:
			if (!*optarg) {
				fprintf(stderr, "dictabridged: --web-root: empty directory name\n");
				return 2;
			}
			opts.web_root = optarg;
			break;
		case OPT_AUDIO_DEVICE:
			opts.audio_device = optarg;
			break;
		case OPT_VIRTUAL_DEVICE:
			/* one over the limit, so that config_add_virtual_device says so */
			if (opts.n_virtual <= CONFIG_MAX_VIRTUAL)
				opts.virtual_devices[opts.n_virtual++] = optarg;
			break;
		case OPT_VERBOSE:
			opts.verbose = 1;
			break;
		case OPT_CHECK_CONFIG:
			opts.check_config = 1;
			break;
		case OPT_VERSION:
			printf("dictabridged %s (protocol %d)\n", DICTABRIDGE_VERSION,
			       DICTABRIDGE_PROTOCOL);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dictabridged: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* Loads the file and applies the command line on top. */
static int load_config(struct config *c)
{
	char err[512];

	if (config_load(opts.config_path, c, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	for (size_t i = 0; i < opts.n_origins; i++) {
		if (config_add_origin(c, opts.origins[i], err, sizeof err) < 0) {
			log_error("--allow-origin: %s", err);
			config_free(c);
			return -1;
		}
	}
	for (size_t i = 0; i < opts.n_virtual; i++) {
		if (config_add_virtual_device(c, opts.virtual_devices[i], err, sizeof err) < 0) {
			log_error("--virtual-device: %s", err);
			config_free(c);
			return -1;
		}
	}
	if (opts.audio_device &&
	    config_set_audio_device(c, opts.audio_device, err, sizeof err) < 0) {
		log_error("--audio-device: %s", err);
		config_free(c);
		return -1;
	}
	if (opts.port)
		c->port = opts.port;
	if (opts.verbose)
		c->log_level = LOG_DEBUG;
	return 0;
}

static void apply_config(void)
{
	log_set_level(active.log_level);
	http_set_origins((const char *const *)active.origins, active.n_origins,
	                 active.allow_null_origin);
	if (active.allow_null_origin)
		log_warn("allow_null_origin is set: any web site can reach the daemon from a "
		         "sandboxed iframe (Origin: null); turn it off unless a local page needs it");
	hub_set_config(&active);
}

static void reload(void)
{
	struct config next;
	int old_port = active.port;

	log_info("reloading the configuration (SIGHUP)");
	if (load_config(&next) < 0) {
		log_error("the new configuration was not applied; the running one is kept");
		return;
	}
	if (next.port != old_port) {
		log_warn("port change %d -> %d needs a restart; still on %d", old_port, next.port,
		         old_port);
		next.port = old_port;
	}
	config_free(&active);
	active = next;
	apply_config();
	log_info("configuration reloaded from %s", active.source ? active.source : "defaults");
}

/* The web root is not part of the configuration file: it is where the program's own
 * files are (installed, or the source tree for ./dev.sh run), not a workstation setting.
 * Missing is fine (a package without the demo, a build run outside dev.sh): the daemon
 * works without it and says so once. Looked up again on every request, so a directory
 * created later is served without a restart. */
static void announce_web_root(void)
{
	const char *root = opts.web_root ? opts.web_root : DICTABRIDGE_WEB_ROOT;

	http_set_web_root(root);
	if (webroot_exists(root))
		log_info("serving %s read-only: the demo page is http://127.0.0.1:%d/demo/", root,
		         active.port);
	else
		log_info("no web root at %s: the demo page is not available (see --web-root)",
		         root);
}

static void on_signal(void *arg)
{
	struct signalfd_siginfo si;

	(void)arg;
	while (read(signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			reload();
		} else {
			log_info("received %s, shutting down", strsignal((int)si.ssi_signo));
			loop_stop();
		}
	}
}

static void on_hotplug(void *arg)
{
	(void)arg;
	hotplug_dispatch();
}

/* Device threads and microphones both wake the loop; each side takes what is its own. */
static void on_wake(void)
{
	hub_drain();
	audio_drain();
}

static const struct server_handlers handlers = {
	.hello = hub_hello,
	.status = hub_status,
	.request = router_request,
	.woken = on_wake,
	.client_gone = router_client_gone,
	.next_frame = audio_next_frame,
};

static const struct hotplug_ops hotplug_handlers = {
	.added = hub_node_added,
	.removed = hub_node_removed,
	.sound_changed = hub_sound_changed,
};

int main(int argc, char **argv)
{
	sigset_t mask;
	int rc = parse_args(argc, argv), udev_fd;

	if (rc >= 0)
		return rc;
	log_init();
	if (load_config(&active) < 0)
		return 1;
	/* For admins and installers: the same load as start-up, without starting. */
	if (opts.check_config) {
		printf("%s: valid (port %d, %zu allowed origin%s besides the daemon's own)\n",
		       active.source ? active.source : "built-in defaults", active.port,
		       active.n_origins, active.n_origins == 1 ? "" : "s");
		config_free(&active);
		return 0;
	}
	log_set_level(active.log_level);
	log_info("dictabridged %s starting (config: %s)", DICTABRIDGE_VERSION,
	         active.source ? active.source : "built-in defaults");

	/* Signals arrive as a descriptor on the loop; block them before any thread starts
	 * so that no device thread takes them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

	log_hook_lws();
	if (signal_fd < 0 || hid_global_init() < 0) {
		log_error("cannot initialise signals or hidapi");
		return 1;
	}
	queue_init(loop_wake);
	if (capture_global_init(loop_wake) < 0) {
		log_error("cannot start the audio worker");
		return 1;
	}
	hub_init(&active);
	if (server_init(active.port, &handlers) < 0) {
		config_free(&active);
		return 1;
	}
	apply_config();
	announce_web_root();
	for (size_t i = 0; i < active.n_virtual; i++)
		hub_add_virtual(active.virtual_devices[i].family, active.virtual_devices[i].code);
	udev_fd = hotplug_open(&hotplug_handlers);
	if (udev_fd < 0 || loop_watch_fd(udev_fd, on_hotplug, NULL) < 0 ||
	    loop_watch_fd(signal_fd, on_signal, NULL) < 0) {
		log_error("cannot watch for devices or signals");
		server_destroy();
		config_free(&active);
		return 1;
	}
	hotplug_scan();

	loop_run();

	server_close_all(1001, "dictabridged is shutting down");
	audio_shutdown();
	hub_shutdown();
	hub_drain();
	capture_global_exit();
	audio_pair_exit();
	server_destroy();
	queue_shutdown();
	hotplug_close();
	hid_global_exit();
	close(signal_fd);
	config_free(&active);
	log_info("stopped");
	return 0;
}
