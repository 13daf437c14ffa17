/* A 16-bit mono PCM WAV file written as the samples arrive, so memory stays bounded
 * however long the recording. Its sizes say "as large as can be" until wav_end() fixes
 * them: a reader of a pipe, where they stay, then reads until the end of the stream. */
#ifndef DICTABRIDGE_CLI_WAV_H
#define DICTABRIDGE_CLI_WAV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define WAV_HEADER_BYTES 44
/* The largest data chunk the RIFF size field (data + 36) can state, in whole samples.
 * It is also what a WAV on a pipe says, since its length is not known beforehand. */
#define WAV_DATA_MAX 0xFFFFFFDAu

struct wav {
	FILE *f;
	off_t start;                /* offset of the header; -1 when it cannot be rewritten */
	uint32_t rate;
	uint64_t samples;           /* written so far */
	int err;                    /* the first write error (an errno), else 0 */
};

/* The 44-byte RIFF/WAVE header of `data_len` bytes of 16-bit mono samples at `rate`. */
void wav_header(unsigned char h[WAV_HEADER_BYTES], uint32_t rate, uint32_t data_len);

/* Starts the file at f's current position. false (and w->err set) when the header cannot
 * be written. The caller keeps f, and closes it after wav_end(). */
bool wav_begin(struct wav *w, FILE *f, uint32_t rate);

/* How many more samples the file can hold. */
uint64_t wav_room(const struct wav *w);

/* Appends n (at most wav_room()) little-endian samples. false (and w->err set) when
 * writing fails. */
bool wav_append(struct wav *w, const unsigned char *pcm, uint64_t n);

/* Flushes, and fixes the header's sizes where the file can be rewritten. */
void wav_end(struct wav *w);

#endif
