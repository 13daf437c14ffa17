/* UTF-8 validation, repair and log escaping (protocol/utf8.h) on any bytes.
 *
 * Input layout: [0] size of the escape buffer (0 stands for 1), then the string (cut at
 * its first NUL, as every caller's C string is).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/utf8.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cap = data[0] ? data[0] : 1;
	char *s = malloc(size);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	size_t len = strlen(s);
	bool valid = utf8_valid(s);

	/* Repair keeps the length, gives valid text, and changes valid text not at all. */
	char *r = strdup(s);
	FUZZ_CHECK(r != NULL);
	utf8_repair(r);
	FUZZ_CHECK(strlen(r) == len);
	FUZZ_CHECK(utf8_valid(r));
	FUZZ_CHECK((strcmp(r, s) == 0) == valid);
	free(r);

	/* Escaping gives one line of valid text within exactly cap bytes (ASan sees any
	 * write past them), and, with room enough, shows every byte. */
	char *out = malloc(cap);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(utf8_escape(s, out, cap) == out);
	FUZZ_CHECK(strlen(out) < cap);
	FUZZ_CHECK(utf8_valid(out));
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
	free(out);
	out = malloc(4 * len + 1);
	FUZZ_CHECK(out != NULL);
	utf8_escape(s, out, 4 * len + 1);
	FUZZ_CHECK(strlen(out) >= len);
	FUZZ_CHECK((strlen(out) == len) == (valid && strcspn(s, "\x7f\x01\x02\x03\x04\x05\x06"
	                                                    "\x07\x08\x09\x0a\x0b\x0c\x0d\x0e"
	                                                    "\x0f\x10\x11\x12\x13\x14\x15\x16"
	                                                    "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e"
	                                                    "\x1f") == len));
	free(out);
	free(s);
	return 0;
}
