/* Levelled logging to stderr. Under systemd (JOURNAL_STREAM set) lines carry the
 * "<N>" syslog priority prefix journald understands; otherwise "level: message".
 * Each message is one line of valid UTF-8: control characters and invalid bytes in it
 * are written as \xNN (protocol/utf8.h), so no string can start a forged line.
 * Thread-safe: one fprintf per line. */
#ifndef DICTABRIDGE_DAEMON_LOG_H
#define DICTABRIDGE_DAEMON_LOG_H

#include "daemon/config.h"

void log_init(void);
void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Routes libwebsockets' own log lines (errors and warnings only) through log_msg. */
void log_hook_lws(void);

#endif
