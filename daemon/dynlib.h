/* Libraries loaded when first needed instead of at start-up, so that an idle daemon does not
 * map them (the audio stack is most of a linked daemon's resident memory, and is needed
 * only while a client streams).
 *
 * A back end lists the functions it calls in an X-macro, declares a table with
 * DYNLIB_MEMBER (each entry has the type of the library's own prototype, so a call is
 * checked by the compiler as usual) and fills it with DYNLIB_LOAD after dlopen. */
#ifndef DICTABRIDGE_DAEMON_DYNLIB_H
#define DICTABRIDGE_DAEMON_DYNLIB_H

#include <dlfcn.h>

#define DYNLIB_MEMBER(f) __typeof__(f) *f;
/* True when the symbol was found. The cast through void ** is what POSIX prescribes for
 * dlsym's result. */
#define DYNLIB_LOAD(handle, table, f) ((*(void **)&(table).f = dlsym((handle), #f)) != NULL)

#endif
