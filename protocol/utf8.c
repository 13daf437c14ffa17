#include "protocol/utf8.h"

#include <stdio.h>
#include <string.h>

/* The length of the valid sequence starting at s (1 to 4), or 0 when none starts there.
 * s is NUL-terminated, so a sequence cut short by the end fails on the NUL. */
static size_t seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		else if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;      /* past U+10FFFF */
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return n;
}

bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return false;
	for (; *p; p += n)
		if ((n = seq_len(p)) == 0)
			return false;
	return true;
}

void utf8_repair(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = seq_len(p);

		if (n == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

char *utf8_escape(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;

	while (*p) {
		size_t n = seq_len(p);
		char esc[5];
		const char *piece = (const char *)p;
		size_t len = n;

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\x%02x", *p);
			piece = esc;
			len = 4;
			n = 1;
		}
		if (used + len >= cap)
			break;
		memcpy(out + used, piece, len);
		used += len;
		p += n;
	}
	out[used] = '\0';
	return out;
}
