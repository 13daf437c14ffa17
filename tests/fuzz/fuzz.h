/* Shared by the libFuzzer harnesses of tests/fuzz/. */
#ifndef DICTABRIDGE_TESTS_FUZZ_H
#define DICTABRIDGE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A broken invariant must stop the run even in builds where assert() is compiled out, and
 * the line printed first saves a trip through the debugger when a finding is triaged. */
#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,      \
			        __LINE__, #cond);                                     \
			__builtin_trap();                                             \
		}                                                                     \
	} while (0)

/* Reads the input front to back; past the end it yields zeros so that a harness never
 * needs a length check of its own before a read. */
struct fuzz_cursor {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t fuzz_byte(struct fuzz_cursor *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
