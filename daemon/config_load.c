/* Finding and reading the configuration file (config.h: config_load): the --config
 * argument, else the user's file, else the system's; bounded, never blocking on a FIFO
 * planted at the path. Parsing is config.c's. */
#include "daemon/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SYSTEM_CONFIG_PATH "/etc/dictabridge/config.json"

enum load_result { LOAD_OK, LOAD_FAILED, LOAD_MISSING };

/* Reads until end of file or until cap bytes; 0, or -1 with errno. */
static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* Reads and parses one file. A missing file is LOAD_MISSING unless `required`. */
static enum load_result load_file(const char *path, bool required, struct config *c,
                                  char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO planted at the path must not hang the daemon. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (!required && (errno == ENOENT || errno == ENOTDIR))
			return LOAD_MISSING;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return LOAD_FAILED;
	}
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	enum load_result result = LOAD_FAILED;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
	} else if (st.st_size > CONFIG_MAX_FILE_BYTES) {
		snprintf(err, errlen, "%s: file too large (%lld bytes; the limit is %d)", path,
		         (long long)st.st_size, CONFIG_MAX_FILE_BYTES);
	} else if ((buf = malloc(CONFIG_MAX_FILE_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
	} else {
		/* One byte past the limit: the file may have grown since fstat. */
		if (read_all(fd, buf, CONFIG_MAX_FILE_BYTES + 1, &len) != 0)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else if (len > CONFIG_MAX_FILE_BYTES)
			snprintf(err, errlen, "%s: file too large (the limit is %d bytes)", path,
			         CONFIG_MAX_FILE_BYTES);
		else if (config_parse(buf, len, path, c, err, errlen) == 0)
			result = LOAD_OK;
	}
	free(buf);
	close(fd);
	if (result == LOAD_OK && (c->source = strdup(path)) == NULL) {
		config_free(c);
		config_defaults(c);
		snprintf(err, errlen, "%s: out of memory", path);
		result = LOAD_FAILED;
	}
	return result;
}

/* $XDG_CONFIG_HOME/dictabridge/config.json, or $HOME/.config/...; relative or empty
 * values are ignored as the XDG base directory specification requires. 0 when there
 * is no user directory, -1 when the path does not fit. */
static int user_config_path(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, cap, "%s/dictabridge/config.json", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, cap, "%s/.config/dictabridge/config.json", home);
	else
		return 0;
	return n > 0 && (size_t)n < cap ? 1 : -1;
}

int config_load(const char *explicit_path, struct config *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	config_defaults(c);
	if (explicit_path != NULL)
		return load_file(explicit_path, true, c, err, errlen) == LOAD_OK ? 0 : -1;

	int found = user_config_path(path, sizeof path);
	if (found < 0) {
		snprintf(err, errlen, "the user configuration directory path is too long");
		return -1;
	}
	enum load_result r = found ? load_file(path, false, c, err, errlen) : LOAD_MISSING;
	if (r == LOAD_MISSING)
		r = load_file(SYSTEM_CONFIG_PATH, false, c, err, errlen);
	return r == LOAD_FAILED ? -1 : 0;
}
