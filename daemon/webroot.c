#include "daemon/webroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

/* ---- URL -> file name (pure) ------------------------------------------------------ */

/* RFC 3986 "pchar" without '%': after the HTTP library's percent-decoding, a '%' (or any
 * byte outside this set) can only come from a double encoding or from a name we never
 * ship, so refusing it costs nothing and rules out '\', NUL, control characters and
 * non-ASCII bytes, each of which some layer might read differently. */
static bool path_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("-._~!$&'()*+,;=:@", c) != NULL);
}

/* Every segment non-empty, not starting with '.', made of path_char only. The last
 * segment may be empty (a trailing '/': the directory's index.html). */
static bool rest_ok(const char *s, size_t len)
{
	size_t seg = 0; /* length of the current segment so far */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (seg == 0 && c == '.')
			return false;
		if (!path_char(c))
			return false;
		seg++;
	}
	return true;
}

enum webroot_route webroot_route(const char *path, size_t len, char *rel, size_t rel_size)
{
	const char *prefix, *rest;
	size_t rest_len;
	bool index;
	int n;

	if (!path || !rel || rel_size < WEBROOT_MAX_REL + 1)
		return WEBROOT_NONE;
	/* Without the slash, relative URLs in the page would resolve against "/". */
	if (len == 5 && memcmp(path, "/demo", 5) == 0) {
		snprintf(rel, rel_size, "/demo/");
		return WEBROOT_REDIRECT;
	}
	if (len >= 6 && memcmp(path, "/demo/", 6) == 0) {
		prefix = "demo/";
		rest = path + 6;
	} else if (len >= 5 && memcmp(path, "/web/", 5) == 0) {
		prefix = "";
		rest = path + 5;
	} else {
		return WEBROOT_NONE;
	}
	rest_len = len - (size_t)(rest - path);
	if (!rest_ok(rest, rest_len))
		return WEBROOT_BAD_PATH;
	index = rest_len == 0 || rest[rest_len - 1] == '/';
	if (strlen(prefix) + rest_len + (index ? strlen("index.html") : 0) > WEBROOT_MAX_REL)
		return WEBROOT_BAD_PATH;
	n = snprintf(rel, rel_size, "%s%.*s%s", prefix, (int)rest_len, rest,
	             index ? "index.html" : "");
	return n > 0 && (size_t)n < rel_size ? WEBROOT_FILE : WEBROOT_BAD_PATH;
}

const char *webroot_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{"html", "text/html; charset=utf-8"},
		{"htm", "text/html; charset=utf-8"},
		/* Module scripts are refused unless served with a JavaScript MIME type. */
		{"js", "text/javascript; charset=utf-8"},
		{"mjs", "text/javascript; charset=utf-8"},
		{"css", "text/css; charset=utf-8"},
		{"json", "application/json"},
		{"map", "application/json"},
		{"svg", "image/svg+xml"},
		{"png", "image/png"},
		{"ico", "image/x-icon"},
		{"txt", "text/plain; charset=utf-8"},
	};
	const char *slash = name ? strrchr(name, '/') : NULL;
	const char *dot = name ? strrchr(slash ? slash : name, '.') : NULL;

	if (dot) {
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	}
	return "application/octet-stream";
}

/* ---- opening a file under the root ------------------------------------------------- */

bool webroot_exists(const char *root)
{
	struct stat st;

	return root && stat(root, &st) == 0 && S_ISDIR(st.st_mode);
}

/* realpath() checked a path that could change before it is opened (a directory swapped
 * for a symbolic link): the file opened must be the one checked. openat2 refuses any
 * symbolic link on the way (the checked path has none left) and any step out of the root.
 * Without openat2 (kernels before 5.6, or a seccomp filter answering EPERM) O_NOFOLLOW
 * covers the last component only; the remaining race needs write access to the web root,
 * which is root's (installed) or the developer's own (source tree). O_NONBLOCK: should a
 * FIFO be swapped in after the check, opening it does not wait for a writer. */
static int open_checked(const char *root_real, const char *rel_real, const char *real)
{
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
#ifdef SYS_openat2
	struct open_how how = {
		.flags = (unsigned long long)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int dir = open(root_real, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, err;

	if (dir < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, dir, rel_real, &how, sizeof how);
	err = errno;
	close(dir);
	if (fd >= 0 || (err != ENOSYS && err != EPERM && err != E2BIG))
		return fd;
#else
	(void)root_real;
	(void)rel_real;
#endif
	return open(real, flags | O_NOFOLLOW);
}

enum webroot_open_result webroot_open(const char *root, const char *rel, int *fd,
                                      off_t *size)
{
	char root_real[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t root_len;
	int n, f;

	*fd = -1;
	*size = 0;
	if (!root || !realpath(root, root_real) || stat(root_real, &st) < 0 ||
	    !S_ISDIR(st.st_mode))
		return WEBROOT_NO_ROOT;
	n = snprintf(path, sizeof path, "%s/%s", root_real, rel);
	if (n < 0 || (size_t)n >= sizeof path || !realpath(path, real))
		return WEBROOT_NOT_FOUND;
	/* Under the root: root_real followed by '/' (root_real is "/" only for the root
	 * directory of the machine, under which everything is). The root itself is a
	 * directory, not a file. */
	root_len = strlen(root_real);
	if (strcmp(real, root_real) == 0)
		return WEBROOT_NOT_FOUND;
	if (root_len == 1)
		root_len = 0;
	if (strncmp(real, root_real, root_len) != 0 || real[root_len] != '/')
		return WEBROOT_ESCAPES;
	/* stat before open: a FIFO or a device node is never opened. */
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return WEBROOT_NOT_FOUND;
	if (st.st_size > WEBROOT_MAX_FILE_BYTES)
		return WEBROOT_TOO_BIG;
	f = open_checked(root_len ? root_real : "/", real + root_len + 1, real);
	if (f < 0)
		return WEBROOT_NOT_FOUND;
	/* Again on what was opened, which is what will be sent. */
	if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > WEBROOT_MAX_FILE_BYTES) {
		close(f);
		return WEBROOT_NOT_FOUND;
	}
	*fd = f;
	*size = st.st_size;
	return WEBROOT_OPENED;
}
