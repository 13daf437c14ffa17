/* UTF-8 validation, repair and log escaping: RFC 3629's edge cases, then the forged
 * journald line that a device's serial number could carry. */
#include <stdio.h>
#include <string.h>

#include "protocol/utf8.h"
#include "tests/unit/check.h"

#define COUNT_OF(a) (sizeof (a) / sizeof (a)[0])

static void test_valid(void)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "", true },
		{ "SN123", true },
		{ "Caf\xc3\xa9", true },                 /* U+00E9 */
		{ "\xe2\x82\xac", true },                /* U+20AC */
		{ "\xf0\x9f\x8e\xa4", true },            /* U+1F3A4 */
		{ "\xf4\x8f\xbf\xbf", true },            /* U+10FFFF */
		{ "\xed\x9f\xbf", true },                /* U+D7FF, below the surrogates */
		{ "\xee\x80\x80", true },                /* U+E000, above them */
		{ "\n<0>", true },                       /* valid, escaped only in logs */
		{ "\xff", false },
		{ "\xfe", false },
		{ "\x80", false },                       /* lone continuation */
		{ "a\xc3", false },                      /* cut short */
		{ "\xe2\x82", false },
		{ "\xc0\x80", false },                   /* overlong NUL */
		{ "\xc1\xbf", false },                   /* overlong */
		{ "\xe0\x9f\xbf", false },               /* overlong 3-byte */
		{ "\xf0\x8f\xbf\xbf", false },           /* overlong 4-byte */
		{ "\xed\xa0\x80", false },               /* surrogate U+D800 */
		{ "\xed\xbf\xbf", false },               /* surrogate U+DFFF */
		{ "\xf4\x90\x80\x80", false },           /* U+110000 */
		{ "\xf5\x80\x80\x80", false },
		{ "\xc3\xa9\xc3", false },
		{ "\xe2\x28\xa1", false },               /* bad second byte */
	};
	for (size_t i = 0; i < COUNT_OF(cases); i++)
		CHECK(utf8_valid(cases[i].s) == cases[i].ok, "case %zu", i);
	CHECK(!utf8_valid(NULL), "NULL");
}

static void test_repair(void)
{
	char s[] = "ok\xff\xc3\xa9\xed\xa0\x80!\xc3";

	utf8_repair(s);
	CHECK(strcmp(s, "ok?\xc3\xa9" "??" "?!?") == 0, "repaired: %s", s);
	CHECK(utf8_valid(s), "repair gives valid UTF-8");
	char same[] = "Caf\xc3\xa9 \xf0\x9f\x8e\xa4";
	utf8_repair(same);
	CHECK(strcmp(same, "Caf\xc3\xa9 \xf0\x9f\x8e\xa4") == 0, "valid text untouched");
}

static void test_escape(void)
{
	char out[64];

	utf8_escape("SN1\n<0>forged", out, sizeof out);
	CHECK(strcmp(out, "SN1\\x0a<0>forged") == 0, "newline: %s", out);
	utf8_escape("a\\b\r\t\x7f\x1b[31m", out, sizeof out);
	CHECK(strcmp(out, "a\\b\\x0d\\x09\\x7f\\x1b[31m") == 0, "controls: %s", out);
	utf8_escape("Caf\xc3\xa9\xff", out, sizeof out);
	CHECK(strcmp(out, "Caf\xc3\xa9\\xff") == 0, "invalid byte: %s", out);
	/* cut at a character boundary, never inside a sequence or an escape */
	utf8_escape("ab\xc3\xa9", out, 4);
	CHECK(strcmp(out, "ab") == 0, "cut before a 2-byte character: %s", out);
	utf8_escape("a\n", out, 4);
	CHECK(strcmp(out, "a") == 0, "cut before an escape: %s", out);
	utf8_escape("abc", out, 1);
	CHECK(out[0] == '\0', "cap 1");
	/* any byte string escapes to valid UTF-8 with no control character */
	for (unsigned b = 1; b < 256; b++) {
		char in[4] = { 'x', (char)b, 'y', 0 };

		utf8_escape(in, out, sizeof out);
		CHECK(utf8_valid(out), "byte %02x", b);
		for (const char *p = out; *p; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "byte %02x -> control", b);
	}
}

int main(void)
{
	test_valid();
	test_repair();
	test_escape();
	return CHECK_DONE();
}
