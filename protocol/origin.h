/* Who may talk to the daemon: the Host and Origin checks (DNS rebinding and cross-site
 * defence). Pure string matching, fuzzable.
 *
 * Host: only 127.0.0.1, localhost and [::1], with no port or the daemon's own port.
 * Origin patterns: "scheme://host[:port]" where host may start with "*." (any subdomain,
 * at least one label, not the bare domain) and port may be "*" (any port, or none).
 * Without a port in the pattern, the origin must carry no port. Matching is
 * case-insensitive for scheme and host. The literal origin "null" matches only the
 * pattern "null".
 */
#ifndef DICTABRIDGE_PROTOCOL_ORIGIN_H
#define DICTABRIDGE_PROTOCOL_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* The origins every daemon allows (the local demo and local tools). */
extern const char *const origin_defaults[];
extern const size_t origin_default_count;

/* True when the Host header value names this loopback daemon on `port`. NULL → false. */
bool origin_host_ok(const char *host, int port);

/* True when `origin` matches one of the defaults or one of `patterns`. NULL → false
 * (the caller decides what a missing Origin means). */
bool origin_allowed(const char *origin, const char *const *patterns, size_t n);

/* True when `pattern` is a valid allow-list entry; otherwise false with a reason. */
bool origin_pattern_valid(const char *pattern, char *why, size_t whylen);

#endif
