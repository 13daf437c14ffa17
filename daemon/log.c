#include "daemon/log.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/utf8.h"

static _Atomic int current_level = LOG_INFO;
static int to_journal;

void log_init(void)
{
	to_journal = getenv("JOURNAL_STREAM") != NULL;
}

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	static const int syslog_prio[] = {3, 4, 6, 7};
	char line[1024], shown[2048];

	if ((int)level > atomic_load(&current_level))
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	/* Messages carry strings from devices and files: one line each, whatever they hold
	 * (a newline followed by "<0>" would otherwise be an emergency line of its own). */
	utf8_escape(line, shown, sizeof shown);
	if (to_journal)
		fprintf(stderr, "<%d>%s\n", syslog_prio[level], shown);
	else
		fprintf(stderr, "%s: %s\n", names[level], shown);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static void lws_emit(int lws_level, const char *line)
{
	size_t n = strlen(line);

	/* lws lines end in a newline and carry their own timestamp prefix. */
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(lws_level == LLL_ERR ? LOG_ERROR : LOG_WARNING, "libwebsockets: %.*s", (int)n,
	        line);
}

void log_hook_lws(void)
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}
