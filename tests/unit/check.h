/* Minimal unit-test checks: every CHECK counts, failures print where and why, and
 * CHECK_DONE() prints the summary line "N passed, N failed" and sets the exit code. */
#ifndef DICTABRIDGE_TESTS_CHECK_H
#define DICTABRIDGE_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                            \
	do {                                                                        \
		if (cond) {                                                         \
			check_passed++;                                             \
		} else {                                                            \
			check_failed++;                                             \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,      \
			        __LINE__, #cond);                                   \
			fprintf(stderr, __VA_ARGS__);                               \
			fputc('\n', stderr);                                        \
		}                                                                   \
	} while (0)

/* A function, not a macro body, so arrays and string literals pass without
 * "address always true" warnings. */
static inline int check_str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static inline const char *check_str_show(const char *s)
{
	return s ? s : "(null)";
}

#define CHECK_STR(a, b)                                                             \
	CHECK(check_str_eq((a), (b)), "\"%s\" != \"%s\"", check_str_show(a),        \
	      check_str_show(b))

#define CHECK_DONE()                                                                \
	(printf("%d passed, %d failed\n", check_passed, check_failed),              \
	 check_failed ? 1 : 0)

#endif
