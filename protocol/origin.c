/* Host and Origin checks. Every input is untrusted: lengths are bounded before any scan,
 * and parsing is strict (anything a browser would not send is refused) so that a crafted
 * header cannot be read one way here and another way by the client. */
#include "protocol/origin.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void origin_own(int port, char out[ORIGIN_OWN_COUNT][ORIGIN_OWN_MAX])
{
	static const char *const hosts[ORIGIN_OWN_COUNT] = { "127.0.0.1", "localhost", "[::1]" };

	for (size_t i = 0; i < ORIGIN_OWN_COUNT; i++)
		snprintf(out[i], ORIGIN_OWN_MAX, "http://%s:%d", hosts[i], port);
}

/* A serialised origin is at most a short scheme, a 253-byte host and a port. */
#define ORIGIN_MAX_LEN 320
#define SCHEME_MAX_LEN 32
#define HOST_MAX_LEN 253
#define LABEL_MAX_LEN 63
#define IPV6_TEXT_MAX 45
#define HOST_HEADER_MAX 64

/* ---- Host --------------------------------------------------------------------- */

bool origin_host_ok(const char *host, int port)
{
	static const char *const loopback[] = { "127.0.0.1", "localhost", "[::1]" };
	if (host == NULL)
		return false;
	size_t len = strnlen(host, HOST_HEADER_MAX);
	if (len == HOST_HEADER_MAX)
		return false;
	for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
		size_t n = strlen(loopback[i]);
		if (len < n || strncasecmp(host, loopback[i], n) != 0)
			continue;
		const char *rest = host + n;
		if (*rest == '\0')
			return true;
		if (port < 1 || port > 65535)
			return false;
		/* The exact decimal spelling: no sign, no leading zeros, no spaces. */
		char own[8];
		snprintf(own, sizeof own, ":%d", port);
		return strcmp(rest, own) == 0;
	}
	return false;
}

/* ---- Origin grammar ----------------------------------------------------------- */

enum port_kind { PORT_NONE, PORT_NUMBER, PORT_ANY };

struct origin_parts {
	const char *scheme;
	size_t scheme_len;
	const char *host;         /* for "*.base" patterns: base only */
	size_t host_len;
	bool wildcard_host;
	bool ipv6;
	struct in6_addr addr6;    /* when ipv6 */
	enum port_kind port_kind;
	unsigned port;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_host_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '_';
}

/* Characters that mean the value is a URL rather than an origin, with the reason. */
static const char *url_part_reason(const char *s)
{
	static const struct {
		char c;
		const char *why;
	} parts[] = {
		{ '/', "path present (an origin is scheme://host[:port], no trailing slash)" },
		{ '?', "query present" },
		{ '#', "fragment present" },
		{ '@', "user info present" },
		{ '\\', "backslash present" },
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (strchr(s, parts[i].c) != NULL)
			return parts[i].why;
	return NULL;
}

static const char *parse_scheme(const char **s, struct origin_parts *p)
{
	const char *c = *s;
	if (!is_alpha(*c))
		return "bad scheme (expected scheme://host[:port])";
	while (is_alpha(*c) || is_digit(*c) || *c == '+' || *c == '-' || *c == '.')
		c++;
	if (strncmp(c, "://", 3) != 0)
		return "bad scheme (expected scheme://host[:port])";
	p->scheme = *s;
	p->scheme_len = (size_t)(c - *s);
	if (p->scheme_len > SCHEME_MAX_LEN)
		return "bad scheme (too long)";
	*s = c + 3;
	return NULL;
}

static const char *parse_ipv6(const char **s, struct origin_parts *p)
{
	const char *open = *s, *close = strchr(open, ']');
	char text[IPV6_TEXT_MAX + 1];
	size_t n = close != NULL ? (size_t)(close - open - 1) : 0;
	if (close == NULL || n == 0 || n > IPV6_TEXT_MAX)
		return "bad IPv6 address";
	memcpy(text, open + 1, n);
	text[n] = '\0';
	if (inet_pton(AF_INET6, text, &p->addr6) != 1)
		return "bad IPv6 address";
	p->ipv6 = true;
	p->host = open;
	p->host_len = n + 2;
	*s = close + 1;
	return NULL;
}

/* Dot-separated labels of host characters, none empty, within the DNS limits. */
static const char *parse_hostname(const char **s, struct origin_parts *p)
{
	const char *c = *s;
	size_t label = 0, labels = 1;
	for (; *c != '\0' && *c != ':'; c++) {
		if (*c == '.') {
			if (label == 0)
				return "empty label in host (leading, trailing or double dot)";
			label = 0;
			labels++;
		} else if (*c == '*') {
			return "'*' is only allowed as the whole first label (*.example.org) or "
			       "as the port";
		} else if (!is_host_char(*c)) {
			return "invalid character in host";
		} else if (++label > LABEL_MAX_LEN) {
			return "host label longer than 63 characters";
		}
	}
	if (c == *s)
		return "empty host";
	if (label == 0)
		return "empty label in host (leading, trailing or double dot)";
	p->host = *s;
	p->host_len = (size_t)(c - *s);
	if (p->host_len > HOST_MAX_LEN)
		return "host longer than 253 characters";
	/* "*.com" would admit every site of a top-level domain. */
	if (p->wildcard_host && labels < 2)
		return "a wildcard must cover a domain of at least two labels (*.example.org)";
	*s = c;
	return NULL;
}

static const char *parse_port(const char *s, bool pattern, struct origin_parts *p)
{
	static const char *const bad = "port must be a number from 1 to 65535";
	if (*s == '\0') {
		p->port_kind = PORT_NONE;
		return NULL;
	}
	if (*s != ':')
		return "invalid character after host";
	s++;
	if (pattern && strcmp(s, "*") == 0) {
		p->port_kind = PORT_ANY;
		return NULL;
	}
	if (*s == '\0')
		return "empty port";
	if (*s == '0')
		return bad;
	unsigned value = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (!is_digit(s[i]) || i >= 5)
			return s[i] == '*' ? "port wildcard must be the whole port (:*)" : bad;
		value = value * 10 + (unsigned)(s[i] - '0');
	}
	if (value > 65535)
		return bad;
	p->port_kind = PORT_NUMBER;
	p->port = value;
	return NULL;
}

static bool scheme_is(const struct origin_parts *p, const char *scheme)
{
	return p->scheme_len == strlen(scheme) &&
	       strncasecmp(p->scheme, scheme, p->scheme_len) == 0;
}

/* Parses an origin (pattern false) or an allow-list pattern. NULL on success, otherwise
 * the reason. "null" is not handled here: callers treat it as an opaque literal. */
static const char *parse_origin(const char *s, bool pattern, struct origin_parts *p)
{
	memset(p, 0, sizeof *p);
	size_t len = strnlen(s, ORIGIN_MAX_LEN + 1);
	if (len == 0)
		return "empty";
	if (len > ORIGIN_MAX_LEN)
		return "too long";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return "contains a space, a control or a non-ASCII character (use the "
			       "xn-- form of international names)";
	if (pattern && strcmp(s, "*") == 0)
		return "'*' would allow every site; list the origins instead";

	const char *why = parse_scheme(&s, p);
	if (why != NULL)
		return why;
	if ((why = url_part_reason(s)) != NULL)
		return why;
	if (*s == '[') {
		why = parse_ipv6(&s, p);
	} else {
		if (pattern && strncmp(s, "*.", 2) == 0) {
			p->wildcard_host = true;
			s += 2;
		}
		why = parse_hostname(&s, p);
	}
	if (why == NULL)
		why = parse_port(s, pattern, p);
	if (why == NULL && (p->wildcard_host || p->port_kind == PORT_ANY) &&
	    !scheme_is(p, "http") && !scheme_is(p, "https"))
		why = "wildcards are only allowed with http or https";
	return why;
}

/* ---- matching ----------------------------------------------------------------- */

static bool host_matches(const struct origin_parts *pat, const struct origin_parts *o)
{
	if (pat->ipv6 || o->ipv6)
		return pat->ipv6 && o->ipv6 &&
		       memcmp(&pat->addr6, &o->addr6, sizeof pat->addr6) == 0;
	if (!pat->wildcard_host)
		return pat->host_len == o->host_len &&
		       strncasecmp(pat->host, o->host, o->host_len) == 0;
	/* At least one more label, joined by a dot: "a.example.org", not "evilexample.org". */
	if (o->host_len < pat->host_len + 2)
		return false;
	const char *tail = o->host + (o->host_len - pat->host_len);
	return tail[-1] == '.' && strncasecmp(tail, pat->host, pat->host_len) == 0;
}

static bool port_matches(const struct origin_parts *pat, const struct origin_parts *o)
{
	switch (pat->port_kind) {
	case PORT_ANY:
		return true;
	case PORT_NUMBER:
		return o->port_kind == PORT_NUMBER && o->port == pat->port;
	case PORT_NONE:
		break;
	}
	return o->port_kind == PORT_NONE;
}

static bool pattern_matches(const char *pattern, const char *origin,
                            const struct origin_parts *o)
{
	struct origin_parts pat;
	if (pattern == NULL)
		return false;
	if (strcmp(pattern, "null") == 0)
		return strcmp(origin, "null") == 0;
	if (o == NULL || parse_origin(pattern, true, &pat) != NULL)
		return false;
	return pat.scheme_len == o->scheme_len &&
	       strncasecmp(pat.scheme, o->scheme, o->scheme_len) == 0 &&
	       host_matches(&pat, o) && port_matches(&pat, o);
}

bool origin_allowed(const char *origin, const char *const *patterns, size_t n)
{
	struct origin_parts parts;
	const struct origin_parts *o = NULL;
	if (origin == NULL)
		return false;
	if (strcmp(origin, "null") != 0) {
		if (parse_origin(origin, false, &parts) != NULL)
			return false;
		o = &parts;
	}
	for (size_t i = 0; patterns != NULL && i < n; i++)
		if (pattern_matches(patterns[i], origin, o))
			return true;
	return false;
}

bool origin_pattern_valid(const char *pattern, char *why, size_t whylen)
{
	struct origin_parts p;
	const char *reason = pattern == NULL ? "missing" : NULL;
	if (reason == NULL && strcmp(pattern, "null") == 0)
		reason = "any site can send the origin null (a sandboxed iframe): it is allowed "
		         "only by the key allow_null_origin";
	else if (reason == NULL)
		reason = parse_origin(pattern, true, &p);
	if (reason != NULL && why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", reason);
	return reason == NULL;
}
