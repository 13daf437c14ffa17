/* Host and Origin checks against a plain restatement of the rules in protocol/origin.h.
 *
 * Input layout:
 *   [0..2)   port, big-endian; 0xffff stands for -1 and 0xfff0..0xfffe for 65536 and up,
 *            so out-of-range ports are tried too
 *   [2]      size of the reason buffer given to origin_pattern_valid
 *   then     newline-separated lines: the Host value, the Origin value, then up to
 *            MAX_PATTERNS allow-list patterns
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/origin.h"
#include "tests/fuzz/fuzz.h"

#define MAX_PATTERNS 16

/* ":N" with N the canonical decimal spelling of a port number. */
static bool is_port_suffix(const char *s)
{
	if (s[0] != ':' || s[1] < '1' || s[1] > '9')
		return false;
	unsigned long v = 0;
	size_t i = 1;
	for (; s[i] >= '0' && s[i] <= '9' && i <= 6; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	return s[i] == '\0' && v <= 65535;
}

static bool expected_host_ok(const char *host, int port)
{
	static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char with_port[32];
		if (strcasecmp(host, names[i]) == 0)
			return true;
		if (port >= 1 && port <= 65535) {
			snprintf(with_port, sizeof with_port, "%s:%d", names[i], port);
			if (strcasecmp(host, with_port) == 0)
				return true;
		}
	}
	return false;
}

/* The built-in allow-list: http://127.0.0.1 or http://localhost, any port or none. */
static bool expected_default_ok(const char *origin)
{
	static const char *const bases[] = { "http://127.0.0.1", "http://localhost" };
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		size_t n = strlen(bases[i]);
		if (strncasecmp(origin, bases[i], n) == 0 &&
		    (origin[n] == '\0' || is_port_suffix(origin + n)))
			return true;
	}
	return false;
}

/* The host part of an origin already accepted by the parser: after "://", up to the
 * port. Writes it NUL-terminated into out (which holds the whole origin). */
static void origin_host(const char *origin, char *out)
{
	const char *h = strstr(origin, "://") + 3;
	size_t n = strcspn(h, *h == '[' ? "]" : ":");
	memcpy(out, h, n);
	out[n] = '\0';
}

/* What one pattern, accepted alone, must imply about the origin it accepted. */
static void check_single_match(const char *pattern, const char *origin)
{
	char why[256];
	FUZZ_CHECK(strcmp(pattern, "null") == 0 || origin_pattern_valid(pattern, why, sizeof why));
	if (strcmp(origin, "null") == 0 || strcmp(pattern, "null") == 0) {
		FUZZ_CHECK(strcmp(origin, "null") == 0 && strcmp(pattern, "null") == 0);
		return;
	}
	const char *scheme_end = strstr(pattern, "://");
	FUZZ_CHECK(scheme_end != NULL);
	size_t scheme_len = (size_t)(scheme_end - pattern);
	FUZZ_CHECK(strncasecmp(pattern, origin, scheme_len + 3) == 0);
	if (strchr(pattern, '*') == NULL && strchr(pattern, '[') == NULL) {
		/* No wildcard and no IPv6 text to normalise: only the case may differ. */
		FUZZ_CHECK(strcasecmp(pattern, origin) == 0);
		return;
	}
	const char *wild = scheme_end + 3;
	if (strncmp(wild, "*.", 2) == 0) {
		char *host = malloc(strlen(origin) + 1);
		FUZZ_CHECK(host != NULL);
		origin_host(origin, host);
		const char *base = wild + 2;
		size_t base_len = strcspn(base, ":");
		size_t host_len = strlen(host);
		/* At least one label more than the base, never the base itself. */
		FUZZ_CHECK(host_len >= base_len + 2);
		FUZZ_CHECK(host[host_len - base_len - 1] == '.');
		FUZZ_CHECK(strncasecmp(host + host_len - base_len, base, base_len) == 0);
		free(host);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned raw = (unsigned)data[0] << 8 | data[1];
	int port = raw == 0xffff ? -1 : raw >= 0xfff0 ? 65536 + (int)(raw - 0xfff0) : (int)raw;
	size_t whylen = data[2];

	/* One NUL-terminated copy, cut into lines in place. */
	char *text = malloc(size - 3 + 1);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data + 3, size - 3);
	text[size - 3] = '\0';
	char *lines[2 + MAX_PATTERNS];
	size_t n_lines = 0;
	for (char *s = text; n_lines < 2 + MAX_PATTERNS; n_lines++) {
		lines[n_lines] = s;
		char *nl = strchr(s, '\n');
		if (nl == NULL) {
			n_lines++;
			break;
		}
		*nl = '\0';
		s = nl + 1;
	}
	const char *host = lines[0];
	const char *origin = n_lines > 1 ? lines[1] : NULL;
	const char *const *patterns = (const char *const *)lines + 2;
	size_t n_patterns = n_lines > 2 ? n_lines - 2 : 0;

	FUZZ_CHECK(origin_host_ok(host, port) == expected_host_ok(host, port));
	FUZZ_CHECK(!origin_host_ok(NULL, port));

	/* Exactly whylen bytes, so that a reason written past them is an ASan report. */
	char *why = malloc(whylen ? whylen : 1);
	FUZZ_CHECK(why != NULL);
	for (size_t i = 0; i < n_lines; i++) {
		if (whylen)
			memset(why, 'x', whylen);
		bool valid = origin_pattern_valid(lines[i], whylen ? why : NULL, whylen);
		if (!valid && whylen)
			FUZZ_CHECK(memchr(why, '\0', whylen) != NULL);
		/* Self-match: an entry that names one exact origin admits that origin. */
		if (valid && strchr(lines[i], '*') == NULL)
			FUZZ_CHECK(origin_allowed(lines[i], (const char *const *)&lines[i], 1));
	}
	free(why);
	FUZZ_CHECK(!origin_pattern_valid(NULL, NULL, 0));

	if (origin != NULL) {
		bool by_default = origin_allowed(origin, NULL, 0);
		FUZZ_CHECK(by_default == expected_default_ok(origin));
		bool any = by_default;
		for (size_t i = 0; i < n_patterns; i++) {
			bool one = origin_allowed(origin, &patterns[i], 1);
			if (one && !by_default)
				check_single_match(patterns[i], origin);
			any |= one;
		}
		/* The list is a plain union of its entries. */
		FUZZ_CHECK(origin_allowed(origin, patterns, n_patterns) == any);
	}
	FUZZ_CHECK(!origin_allowed(NULL, patterns, n_patterns));
	free(text);
	return 0;
}
