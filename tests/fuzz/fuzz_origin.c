/* Host and Origin checks against a plain restatement of the rules in protocol/origin.h.
 *
 * Input layout:
 *   [0..2)   port, big-endian; 0xffff stands for -1 and 0xfff0..0xfffe for 65536 and up,
 *            so out-of-range ports are tried too
 *   [2]      size of the reason buffer given to origin_pattern_valid
 *   then     newline-separated lines: the Host value, the Origin value, then up to
 *            MAX_PATTERNS allow-list patterns
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/origin.h"
#include "tests/fuzz/fuzz.h"

#define MAX_PATTERNS 16

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

/* The daemon's own origins on `port`: http://127.0.0.1:PORT, http://localhost:PORT (any
 * case), or an IPv6 literal of ::1 (whose spellings vary) on PORT. */
static bool expected_own_ok(const char *origin, int port)
{
	char want[48], text[64];
	struct in6_addr a;

	if (port < 1 || port > 65535)
		return false;
	for (size_t i = 0; i < 2; i++) {
		snprintf(want, sizeof want, "http://%s:%d", i ? "localhost" : "127.0.0.1", port);
		if (strcasecmp(origin, want) == 0)
			return true;
	}
	snprintf(want, sizeof want, "]:%d", port);
	size_t n = strlen(origin), w = strlen(want);
	if (strncasecmp(origin, "http://[", 8) != 0 || n <= w + 8 || n - w - 8 >= sizeof text ||
	    strcmp(origin + n - w, want) != 0)
		return false;
	memcpy(text, origin + 8, n - w - 8);
	text[n - w - 8] = '\0';
	return inet_pton(AF_INET6, text, &a) == 1 && memcmp(&a, &in6addr_loopback, sizeof a) == 0;
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
	FUZZ_CHECK(strcmp(pattern, "null") != 0 || !origin_pattern_valid(pattern, NULL, 0));
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
		FUZZ_CHECK(!origin_allowed(origin, NULL, 0));
		if (port >= 1 && port <= 65535) {
			char own[ORIGIN_OWN_COUNT][ORIGIN_OWN_MAX];
			const char *own_list[ORIGIN_OWN_COUNT];

			origin_own(port, own);
			for (size_t i = 0; i < ORIGIN_OWN_COUNT; i++)
				own_list[i] = own[i];
			FUZZ_CHECK(origin_allowed(origin, own_list, ORIGIN_OWN_COUNT) ==
			           expected_own_ok(origin, port));
		}
		bool any = false;
		for (size_t i = 0; i < n_patterns; i++) {
			bool one = origin_allowed(origin, &patterns[i], 1);
			if (one)
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
