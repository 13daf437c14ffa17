/* Host and Origin checks: tables of accepted and refused values, then a deterministic
 * random-input sweep for invariants that must hold for any string. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "protocol/origin.h"
#include "tests/unit/check.h"

#define PORT 27415
#define COUNT_OF(a) (sizeof (a) / sizeof (a)[0])

/* ---- Host --------------------------------------------------------------------- */

static void test_host(void)
{
	static const struct {
		const char *host;
		bool ok;
	} cases[] = {
		{ "127.0.0.1", true },
		{ "127.0.0.1:27415", true },
		{ "localhost", true },
		{ "localhost:27415", true },
		{ "LOCALHOST", true },
		{ "LocalHost:27415", true },
		{ "[::1]", true },
		{ "[::1]:27415", true },
		/* other ports and malformed ports */
		{ "127.0.0.1:8080", false },
		{ "localhost:27416", false },
		{ "[::1]:80", false },
		{ "127.0.0.1:", false },
		{ "localhost:027415", false },
		{ "localhost:+27415", false },
		{ "localhost: 27415", false },
		{ "localhost :27415", false },
		{ "localhost:27415 ", false },
		{ "localhost:274150", false },
		{ "localhost:27415:27415", false },
		{ "localhost:0x6b17", false },
		{ "localhost:-27415", false },
		/* DNS rebinding: attacker-controlled names */
		{ "evil.com", false },
		{ "evil.com:27415", false },
		{ "127.0.0.1.evil.com", false },
		{ "127.0.0.1.nip.io:27415", false },
		{ "localhost.evil.com", false },
		{ "localhost.", false },
		{ "localhost.:27415", false },
		{ "localhostx", false },
		{ "xlocalhost", false },
		{ "sub.localhost", false },
		{ "7f000001.rbndr.us", false },
		/* other spellings of loopback are not what browsers send for our URLs */
		{ "127.0.0.2", false },
		{ "127.1", false },
		{ "2130706433", false },
		{ "0x7f000001", false },
		{ "0.0.0.0", false },
		{ "::1", false },
		{ "[::1", false },
		{ "::1]", false },
		{ "[0:0:0:0:0:0:0:1]", false },
		{ "[::ffff:127.0.0.1]", false },
		{ "[::1]x", false },
		/* userinfo, paths and garbage */
		{ "user@localhost", false },
		{ "localhost@evil.com", false },
		{ "localhost/", false },
		{ "localhost:27415/", false },
		{ "localhost?x", false },
		{ "localhost#", false },
		{ "localhost\r\nX-Injected: 1", false },
		{ "localhost\t", false },
		{ "local\x01host", false },
		{ " localhost", false },
		{ "", false },
		{ ":27415", false },
		{ "localhost:27415\x7f", false },
	};
	for (size_t i = 0; i < COUNT_OF(cases); i++)
		CHECK(origin_host_ok(cases[i].host, PORT) == cases[i].ok, "host \"%s\"",
		      cases[i].host);

	CHECK(!origin_host_ok(NULL, PORT), "NULL host");
	CHECK(origin_host_ok("localhost:80", 80), "port 80 daemon");
	CHECK(origin_host_ok("[::1]:65535", 65535), "highest port");
	CHECK(origin_host_ok("127.0.0.1:1", 1), "lowest port");
	CHECK(!origin_host_ok("localhost:0", 0), "port 0 is never valid");
	CHECK(!origin_host_ok("localhost:70000", 70000), "port above 65535");
	CHECK(origin_host_ok("localhost", 0), "no port, whatever the daemon port");

	char longest[200];
	memset(longest, '1', sizeof longest - 1);
	memcpy(longest, "localhost:", 10);
	longest[sizeof longest - 1] = '\0';
	CHECK(!origin_host_ok(longest, PORT), "over-long host");
}

/* ---- Origin ------------------------------------------------------------------- */

static const char *const site_patterns[] = {
	"https://app.example.org",
	"https://*.example.net",
	"http://intranet.local:8080",
	"https://*.hospital.example:*",
	"chrome-extension://abcdefghijklmnop",
	"http://[::1]:*",
	"https://[2001:db8::1]:8443",
};

static const char label63[] =
	"https://abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc.example.net";
static const char label64[] =
	"https://abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd.example.net";

/* Only the daemon's own pages are allowed without configuration, on its own port. */
static void test_origin_own(void)
{
	static const struct {
		const char *origin;
		bool ok;
	} cases[] = {
		{ "http://127.0.0.1:27415", true },
		{ "http://localhost:27415", true },
		{ "http://LOCALHOST:27415", true },
		{ "HTTP://localhost:27415", true },
		{ "http://[::1]:27415", true },
		{ "http://[0::1]:27415", true },
		{ "http://127.0.0.1:8080", false },
		{ "http://127.0.0.1:27416", false },
		{ "http://127.0.0.1", false },
		{ "http://localhost:3000", false },
		{ "http://localhost", false },
		{ "http://[::1]:8080", false },
		{ "https://localhost:27415", false },
		{ "http://127.0.0.2:27415", false },
		{ "http://127.0.0.1.evil.com:27415", false },
		{ "http://localhost.evil.com:27415", false },
		{ "http://evil.com:27415", false },
		{ "http://localhost:027415", false },
		{ "http://localhost:27415/", false },
		{ "http://user@localhost:27415", false },
		{ "http://localhost.:27415", false },
		{ " http://localhost:27415", false },
		{ "http://localhost:27415\r\n", false },
		{ "localhost:27415", false },
		{ "", false },
		{ "null", false },
	};
	char own[ORIGIN_OWN_COUNT][ORIGIN_OWN_MAX];
	const char *list[ORIGIN_OWN_COUNT];

	origin_own(PORT, own);
	for (size_t i = 0; i < ORIGIN_OWN_COUNT; i++) {
		char why[128] = "";
		list[i] = own[i];
		CHECK(origin_pattern_valid(own[i], why, sizeof why), "own %s: %s", own[i], why);
	}
	CHECK(strcmp(own[2], "http://[::1]:27415") == 0, "own IPv6 origin %s", own[2]);
	for (size_t i = 0; i < COUNT_OF(cases); i++) {
		CHECK(origin_allowed(cases[i].origin, list, ORIGIN_OWN_COUNT) == cases[i].ok,
		      "origin \"%s\"", cases[i].origin);
		CHECK(!origin_allowed(cases[i].origin, NULL, 0), "\"%s\" with no list",
		      cases[i].origin);
	}
	CHECK(!origin_allowed(NULL, list, ORIGIN_OWN_COUNT), "NULL origin");
	CHECK(!origin_allowed(NULL, site_patterns, COUNT_OF(site_patterns)), "NULL origin");
	CHECK(!origin_allowed("http://localhost:1234", NULL, 7), "NULL pattern array");
	origin_own(65535, own);
	CHECK(strcmp(own[1], "http://localhost:65535") == 0, "own origin %s", own[1]);
}

static void test_origin_patterns(void)
{
	static const struct {
		const char *origin;
		bool ok;
	} cases[] = {
		/* exact entry */
		{ "https://app.example.org", true },
		{ "HTTPS://APP.EXAMPLE.ORG", true },
		{ "https://app.example.org:443", false },
		{ "https://app.example.org:8443", false },
		{ "http://app.example.org", false },
		{ "https://app.example.org.", false },
		{ "https://app.example.org/", false },
		{ "https://app.example.org/path", false },
		{ "https://user:pw@app.example.org", false },
		{ "https://app.example.org.evil.com", false },
		{ "https://evil-app.example.org", false },
		{ "https://xapp.example.org", false },
		{ "https://example.org", false },
		/* wildcard host, no port */
		{ "https://a.example.net", true },
		{ "https://a.b.example.net", true },
		{ "https://A.Example.NET", true },
		{ "https://xn--bcher-kva.example.net", true },
		{ label63, true },
		{ label64, false },
		{ "https://example.net", false },
		{ "https://evilexample.net", false },
		{ "https://a.evilexample.net", false },
		{ "https://a.example.net.evil.com", false },
		{ "https://example.net.a", false },
		{ "https://a.example.net:443", false },
		{ "https://.example.net", false },
		{ "https://a..example.net", false },
		{ "http://a.example.net", false },
		{ "https://a.example.net/", false },
		/* wildcard host and port */
		{ "https://pacs.hospital.example:8443", true },
		{ "https://pacs.hospital.example", true },
		{ "https://a.b.hospital.example:1", true },
		{ "https://hospital.example:8443", false },
		{ "https://hospital.example", false },
		{ "https://pacs.hospital.example:0", false },
		{ "http://pacs.hospital.example:8443", false },
		/* exact port */
		{ "http://intranet.local:8080", true },
		{ "http://intranet.local", false },
		{ "http://intranet.local:8081", false },
		{ "http://intranet.local:80", false },
		{ "https://intranet.local:8080", false },
		/* other schemes, literally */
		{ "chrome-extension://abcdefghijklmnop", true },
		{ "chrome-extension://other", false },
		{ "moz-extension://abcdefghijklmnop", false },
		/* IPv6 literals */
		{ "http://[::1]:8080", true },
		{ "http://[::1]", true },
		{ "http://[0:0::1]:9", true },
		{ "http://[::2]:8080", false },
		{ "https://[::1]:8080", false },
		{ "http://[::1", false },
		{ "http://[]:80", false },
		{ "http://[::1]x", false },
		{ "http://[::1]:", false },
		{ "http://[fe80::1%25eth0]:80", false },
		{ "http://[::1]/", false },
		{ "https://[2001:db8::1]:8443", true },
		{ "https://[2001:DB8:0::1]:8443", true },
		{ "https://[2001:db8::1]", false },
		{ "https://[2001:db8::2]:8443", false },
		/* nothing is allowed besides the list */
		{ "http://127.0.0.1:5173", false },
		{ "http://localhost:27415", false },
		{ "null", false },
	};
	for (size_t i = 0; i < COUNT_OF(cases); i++)
		CHECK(origin_allowed(cases[i].origin, site_patterns, COUNT_OF(site_patterns)) ==
		      cases[i].ok, "origin \"%s\"", cases[i].origin);

	/* The opaque origin "null" matches only the pattern "null", which only the daemon
	 * adds (allow_null_origin): it is no valid allow-list entry. */
	static const char *const with_null[] = { "null" };
	char why[160] = "";
	CHECK(!origin_pattern_valid("null", why, sizeof why) &&
	      strstr(why, "allow_null_origin") != NULL, "null as a pattern: %s", why);
	CHECK(origin_allowed("null", with_null, 1), "null allowed when listed");
	CHECK(!origin_allowed("NULL", with_null, 1), "null is case-sensitive");
	CHECK(!origin_allowed("http://null", with_null, 1), "a host named null");
	CHECK(!origin_allowed("null ", with_null, 1), "null with a space");
	CHECK(!origin_allowed("http://app.example.org", with_null, 1), "null pattern only");

	/* Broken or missing entries are skipped, never matched loosely. */
	static const char *const messy[] = {
		NULL, "https://*", "https://app.example.org/", "*", "", "https://*.org",
		"https://ok.example.com",
	};
	CHECK(origin_allowed("https://ok.example.com", messy, COUNT_OF(messy)), "valid entry");
	CHECK(!origin_allowed("https://app.example.org", messy, COUNT_OF(messy)),
	      "entry with a path");
	CHECK(!origin_allowed("https://x.org", messy, COUNT_OF(messy)), "invalid wildcard");
	CHECK(!origin_allowed("https://anything.example", messy, COUNT_OF(messy)), "lone *");
	CHECK(!origin_allowed("https://ok.example.com", messy, 6), "n bounds the list");
}

static void test_pattern_valid(void)
{
	static const char *const valid[] = {
		"https://app.example.org",
		"http://localhost:*",
		"https://*.example.org",
		"https://*.example.org:*",
		"https://*.a.example.org:8443",
		"http://[::1]:8080",
		"http://[::1]:*",
		"https://[2001:db8::1]",
		"chrome-extension://abcdef",
		"app+x.y-z://host",
		"http://127.0.0.1:1",
		"http://127.0.0.1:65535",
		"HTTPS://Example.ORG",
		"http://under_score.example",
		"http://a",
	};
	for (size_t i = 0; i < COUNT_OF(valid); i++) {
		char why[128] = "";
		CHECK(origin_pattern_valid(valid[i], why, sizeof why), "\"%s\": %s", valid[i], why);
	}

	static const struct {
		const char *pattern;
		const char *reason;  /* substring of the reason */
	} invalid[] = {
		{ "", "empty" },
		{ "*", "every site" },
		{ "example.org", "bad scheme" },
		{ "https//example.org", "bad scheme" },
		{ "https:/example.org", "bad scheme" },
		{ "1http://x.org", "bad scheme" },
		{ "://example.org", "bad scheme" },
		{ "*://example.org", "bad scheme" },
		{ "abcdefghijabcdefghijabcdefghijabc://x", "bad scheme" },
		{ "https://", "empty host" },
		{ "https://:8080", "empty host" },
		{ "https://*.", "empty host" },
		{ "https://example.org/", "path present" },
		{ "https://example.org/app", "path present" },
		{ "https://example.org?x=1", "query present" },
		{ "https://example.org#top", "fragment present" },
		{ "https://user@example.org", "user info present" },
		{ "https://example.org\\x", "backslash" },
		{ "https://*", "'*' is only allowed" },
		{ "https://*example.org", "'*' is only allowed" },
		{ "https://a.*.example.org", "'*' is only allowed" },
		{ "https://example.*", "'*' is only allowed" },
		{ "https://*.*.example.org", "'*' is only allowed" },
		{ "https://**.example.org", "'*' is only allowed" },
		{ "https://*.org", "at least two labels" },
		{ "https://*.localhost:*", "at least two labels" },
		{ "https://*.example.org.", "empty label" },
		{ "https://example..org", "empty label" },
		{ "https://.example.org", "empty label" },
		{ "https://exa mple.org", "space" },
		{ "https://ex\xc3\xa4mple.org", "non-ASCII" },
		{ "https://example.org\n", "control" },
		{ "https://exa$mple.org", "invalid character in host" },
		{ "https://*.[::1]", "invalid character in host" },
		{ "https://example.org:", "empty port" },
		{ "https://example.org:0", "port must be" },
		{ "https://example.org:65536", "port must be" },
		{ "https://example.org:080", "port must be" },
		{ "https://example.org:123456", "port must be" },
		{ "https://example.org:-1", "port must be" },
		{ "https://example.org:80:80", "port must be" },
		{ "https://example.org:8*", "whole port" },
		{ "https://example.org:**", "whole port" },
		{ "ftp://*.example.org", "only allowed with http or https" },
		{ "chrome-extension://abc:*", "only allowed with http or https" },
		{ "https://[::1", "bad IPv6" },
		{ "https://[::g]", "bad IPv6" },
		{ "https://[]", "bad IPv6" },
		{ "https://[1:2:3:4:5:6:7:8:9]", "bad IPv6" },
		{ "https://[::1]]", "invalid character after host" },
	};
	for (size_t i = 0; i < COUNT_OF(invalid); i++) {
		char why[128] = "";
		bool ok = origin_pattern_valid(invalid[i].pattern, why, sizeof why);
		CHECK(!ok, "\"%s\" accepted", invalid[i].pattern);
		CHECK(strstr(why, invalid[i].reason) != NULL, "\"%s\": reason \"%s\", expected \"%s\"",
		      invalid[i].pattern, why, invalid[i].reason);
	}

	char why[128] = "";
	CHECK(!origin_pattern_valid(NULL, why, sizeof why) && strcmp(why, "missing") == 0,
	      "NULL pattern: %s", why);
	CHECK(!origin_pattern_valid("https://x.org/", NULL, 0), "no reason buffer");
	CHECK(!origin_pattern_valid("https://x.org/", why, 5) && strlen(why) == 4, "short buffer");

	/* Length limits: a 63-character label, a 253-character host, a bounded whole. */
	char host[400];
	strcpy(host, "https://");
	for (int i = 0; i < 4; i++)
		strcat(host, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc.");
	host[strlen(host) - 1] = '\0';        /* 4 x 63 + 3 dots = 255 characters */
	CHECK(!origin_pattern_valid(host, why, sizeof why) && strstr(why, "253") != NULL,
	      "host too long: %s", why);
	host[strlen(host) - 2] = '\0';        /* 253 characters */
	CHECK(origin_pattern_valid(host, why, sizeof why), "253-character host: %s", why);
	CHECK(!origin_pattern_valid(label64, why, sizeof why) && strstr(why, "63") != NULL,
	      "long label: %s", why);
	char huge[2000];
	memset(huge, 'a', sizeof huge - 1);
	memcpy(huge, "https://", 8);
	huge[sizeof huge - 1] = '\0';
	CHECK(!origin_pattern_valid(huge, why, sizeof why) && strstr(why, "too long") != NULL,
	      "huge: %s", why);
	CHECK(!origin_allowed(huge, site_patterns, COUNT_OF(site_patterns)), "huge origin");
}

/* ---- random strings ----------------------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Builds strings from fragments that matter to the grammar, so the sweep reaches deep
 * into the parser instead of failing on the scheme. */
static void random_string(char *buf, size_t cap)
{
	static const char *const parts[] = {
		"http://", "https://", "HTTP://", "null", "localhost", "127.0.0.1", "[::1]", "[",
		"]", ":", "::", ".", "*.", "*", "/", "?", "#", "@", "\\", " ", "\t", "\x01",
		"\xff", "example", "org", "a", "-", "_", "0", "8080", "27415", "65535", "65536",
		"xn--", "%", "evil.com", ":*",
	};
	size_t n = rng() % 10, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = parts[rng() % COUNT_OF(parts)];
		size_t len = strlen(p);
		if (used + len + 1 > cap)
			break;
		memcpy(buf + used, p, len + 1);
		used += len;
	}
}

static void test_random(void)
{
	size_t host_bad = 0, default_bad = 0, self_bad = 0, reason_bad = 0, valid_seen = 0;
	for (int i = 0; i < 200000; i++) {
		char s[128], why[128];
		random_string(s, sizeof s);
		if (origin_host_ok(s, PORT)) {
			bool known = strcasecmp(s, "localhost") == 0 || strcmp(s, "127.0.0.1") == 0 ||
			             strcmp(s, "[::1]") == 0 || strcasecmp(s, "localhost:27415") == 0 ||
			             strcmp(s, "127.0.0.1:27415") == 0 || strcmp(s, "[::1]:27415") == 0;
			host_bad += !known;
		}
		if (origin_allowed(s, NULL, 0))
			default_bad++;
		why[0] = '\0';
		if (origin_pattern_valid(s, why, sizeof why)) {
			valid_seen++;
			/* A literal pattern admits itself. */
			const char *self[] = { s };
			if (strchr(s, '*') == NULL && !origin_allowed(s, self, 1))
				self_bad++;
		} else if (why[0] == '\0') {
			reason_bad++;
		}
	}
	CHECK(host_bad == 0, "%zu random hosts accepted", host_bad);
	CHECK(default_bad == 0, "%zu random origins accepted by an empty list", default_bad);
	CHECK(self_bad == 0, "%zu literal patterns do not match themselves", self_bad);
	CHECK(reason_bad == 0, "%zu refusals without a reason", reason_bad);
	CHECK(valid_seen > 100, "the sweep reached valid patterns (%zu)", valid_seen);
}

int main(void)
{
	test_host();
	test_origin_own();
	test_origin_patterns();
	test_pattern_valid();
	test_random();
	return CHECK_DONE();
}
