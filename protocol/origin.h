/* Who may talk to the daemon: the Host and Origin checks (DNS rebinding and cross-site
 * defence). Pure string matching, fuzzable.
 *
 * Host: only 127.0.0.1, localhost and [::1], with no port or the daemon's own port.
 * Origin patterns: "scheme://host[:port]" where host may start with "*." (any subdomain,
 * at least one label, not the bare domain) and port may be "*" (any port, or none).
 * Without a port in the pattern, the origin must carry no port. Matching is
 * case-insensitive for scheme and host. The literal origin "null" matches only the
 * pattern "null", which is not a valid allow-list entry: any site can send "Origin: null"
 * from a sandboxed iframe, so only the daemon adds it, from its own explicit opt-in.
 *
 * Nothing is allowed by default except the daemon's own pages (origin_own): a page on
 * another loopback port is another program's (a dev server, another user's notebook).
 */
#ifndef DICTABRIDGE_PROTOCOL_ORIGIN_H
#define DICTABRIDGE_PROTOCOL_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#define ORIGIN_OWN_COUNT 3
#define ORIGIN_OWN_MAX 32

/* The daemon's own origins on `port` (the demo page it serves): http://127.0.0.1:PORT,
 * http://localhost:PORT and http://[::1]:PORT. */
void origin_own(int port, char out[ORIGIN_OWN_COUNT][ORIGIN_OWN_MAX]);

/* True when the Host header value names this loopback daemon on `port`. NULL → false. */
bool origin_host_ok(const char *host, int port);

/* True when `origin` matches one of `patterns`. NULL → false (the caller decides what a
 * missing Origin means). */
bool origin_allowed(const char *origin, const char *const *patterns, size_t n);

/* True when `pattern` is a valid allow-list entry; otherwise false with a reason. */
bool origin_pattern_valid(const char *pattern, char *why, size_t whylen);

#endif
