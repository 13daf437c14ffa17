/* The read-only web root: which URL paths name a file of the project's web/ folder (the
 * demo page and the host-page library), and opening such a file so that nothing outside
 * the root can be reached, whatever the path or the symbolic links in the tree say.
 *
 * No HTTP here (http.c answers the requests) and no logging: the functions return what
 * happened and the caller decides what to tell the client and the log. */
#ifndef DICTABRIDGE_DAEMON_WEBROOT_H
#define DICTABRIDGE_DAEMON_WEBROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The largest file served. The web folder holds a page and a few scripts; a bound keeps
 * one request from tying up memory or the loop for long. */
#define WEBROOT_MAX_FILE_BYTES (4 * 1024 * 1024)
/* The longest file name (relative to the root) a URL may map to. */
#define WEBROOT_MAX_REL 512

enum webroot_route {
	WEBROOT_NONE,      /* not a web-root URL: the caller answers it (or 404) */
	WEBROOT_FILE,      /* rel holds the file name relative to the root */
	WEBROOT_REDIRECT,  /* rel holds the URL path to redirect to (301) */
	WEBROOT_BAD_PATH,  /* a web-root URL whose path is refused (400) */
};

/* Maps a URL path (as the HTTP library delivers it: percent-decoded, without the query)
 * of `len` bytes to a file name relative to the web root. Pure: no file-system access.
 *
 *   /demo              -> redirect to /demo/
 *   /demo/ and /demo/P -> demo/index.html and demo/P
 *   /web/P             -> P
 *
 * A path ending in '/' names that directory's index.html. Refused (WEBROOT_BAD_PATH):
 * an empty segment ("//"), a segment starting with '.' (".", "..", and hidden files such
 * as .git), a byte outside the RFC 3986 path characters (which rules out '\', '%' left
 * after decoding, NUL, control characters, spaces and non-ASCII), and names longer than
 * WEBROOT_MAX_REL. rel must hold WEBROOT_MAX_REL + 1 bytes. */
enum webroot_route webroot_route(const char *path, size_t len, char *rel, size_t rel_size);

enum webroot_open_result {
	WEBROOT_OPENED,
	WEBROOT_NO_ROOT,    /* the root does not exist (the demo is not installed) */
	WEBROOT_NOT_FOUND,  /* missing, a directory, or not a regular file */
	WEBROOT_ESCAPES,    /* resolves (through a symbolic link) outside the root */
	WEBROOT_TOO_BIG,    /* larger than WEBROOT_MAX_FILE_BYTES */
};

/* Opens root/rel (rel from webroot_route) for reading: *fd is a descriptor of a regular
 * file whose real path lies under the real path of root, *size its size. Symbolic links
 * inside the tree are followed as long as they stay inside it. A FIFO or a device is never
 * opened (so it cannot block the loop or have side effects). */
enum webroot_open_result webroot_open(const char *root, const char *rel, int *fd,
                                      off_t *size);

/* Whether root is an existing directory (for the start-up message). */
bool webroot_exists(const char *root);

/* The Content-Type for a file name, by its extension; application/octet-stream for an
 * unknown one. */
const char *webroot_content_type(const char *name);

#endif
