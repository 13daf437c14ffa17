/* Test-only LD_PRELOAD shim, loaded before umockdev's: answers opens of ALSA / OSS
 * device nodes with ENOENT without passing them on.
 *
 * Why: umockdev 0.17's open() wrapper registers even a failed open of a /dev path in a
 * fixed table of 50 entries that is never cleaned, and aborts the process when it is
 * full. ALSA looks for sound cards by trying 64 such paths (/dev/snd/controlC0..31 and
 * /dev/aloadC0..31) every time PortAudio lists devices, so the daemon under test would be
 * killed by the emulator itself. The test machines have no sound hardware, so the answer
 * is the one the kernel would give; the daemon, PortAudio and ALSA run unchanged. */
/* Both open and open64 are defined here: the 64-bit file offset redirection of open to
 * open64 would make them one symbol. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

static bool sound_node(const char *path)
{
	static const char *const prefixes[] = {"/dev/snd/", "/dev/aload", "/dev/dsp",
	                                       "/dev/mixer", "/dev/audio", "/dev/sequencer"};

	for (size_t i = 0; path && i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

typedef int (*open_fn)(const char *, int, ...);

static int forward(const char *name, const char *path, int flags, mode_t mode)
{
	open_fn next;

	if (sound_node(path)) {
		errno = ENOENT;
		return -1;
	}
	*(void **)&next = dlsym(RTLD_NEXT, name);
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	return next(path, flags, mode);
}

static mode_t mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

#define SHIM(name)                                                  \
	int name(const char *path, int flags, ...);                 \
	int name(const char *path, int flags, ...)                  \
	{                                                           \
		va_list ap;                                         \
		mode_t mode;                                        \
		va_start(ap, flags);                                \
		mode = mode_arg(flags, ap);                         \
		va_end(ap);                                         \
		return forward(#name, path, flags, mode);           \
	}

SHIM(open)
SHIM(open64)

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
	return forward("__open_2", path, flags, 0);
}

int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags)
{
	return forward("__open64_2", path, flags, 0);
}

/* Plugins (ALSA's, PortAudio's back ends) stay loaded until exit: a leak report can then
 * name the library a leaked block comes from instead of "<unknown module>". */
int dlclose(void *handle);
int dlclose(void *handle)
{
	(void)handle;
	return 0;
}
