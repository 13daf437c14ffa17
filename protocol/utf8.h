/* Text that crosses a trust boundary: strings from a device (its USB serial number, its
 * sound card's name) or from the configuration, on their way into a JSON message (a
 * browser closes a text frame holding invalid UTF-8 with 1007) or into the log (a newline
 * followed by "<0>" would forge a journald line of its own). Pure functions.
 *
 * Valid UTF-8 here is RFC 3629's: no overlong forms, no surrogates, nothing past U+10FFFF.
 */
#ifndef DICTABRIDGE_PROTOCOL_UTF8_H
#define DICTABRIDGE_PROTOCOL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the NUL-terminated s is valid UTF-8. NULL → false. */
bool utf8_valid(const char *s);

/* Replaces, in place, every byte of s that is not part of a valid sequence with '?'.
 * The length does not change and the result is valid UTF-8. */
void utf8_repair(char *s);

/* Copies s into out (cap ≥ 1 bytes, always NUL-terminated) with every control character
 * (below 0x20, and 0x7f) and every byte that is not part of a valid sequence written as
 * \xNN, so that the copy is one line of valid UTF-8 that shows what the bytes were.
 * Cut at a character boundary when out is too small. Returns out. */
char *utf8_escape(const char *s, char *out, size_t cap);

#endif
