/* LD_PRELOAD shim for tests: makes every other blocking write lock
 * (fcntl F_SETLKW, F_WRLCK: what APR's "fcntl" global mutexes, `Mutex file:`,
 * use) fail with EDEADLK, as Linux does spuriously when threads of several
 * processes wait on fcntl locks (its deadlock detection is per process). Code
 * that retries (amt_mutex_retry.h) gets the lock on the next try; code that does
 * not fails. Active only while AMT_FAKE_EDEADLK is set in the environment.
 *   cc -shared -fPIC -o fcntl-edeadlk.so fcntl-edeadlk.c -ldl
 * Used by t/redfish/13-mutex-edeadlk.t. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>

typedef int (*fcntl_fn)(int, int, ...);

static unsigned injected_calls;

static int fake(const char *name, int fd, int cmd, void *arg)
{
    static fcntl_fn real_fcntl, real_fcntl64;
    static int enabled = -1;
    fcntl_fn *real = name[5] ? &real_fcntl64 : &real_fcntl;
    if (!*real)
        *real = (fcntl_fn)dlsym(RTLD_NEXT, name);
    if (!*real) {
        errno = ENOSYS;
        return -1;
    }
    if (enabled < 0)
        enabled = getenv("AMT_FAKE_EDEADLK") != NULL;
    if (enabled && cmd == F_SETLKW && arg && ((struct flock *)arg)->l_type == F_WRLCK &&
        __atomic_fetch_add(&injected_calls, 1, __ATOMIC_RELAXED) % 2 == 0) {
        errno = EDEADLK;
        return -1;
    }
    return (*real)(fd, cmd, arg);
}

/* The third argument is an int or a pointer: on the ABIs we test on both travel
 * in the same register, so it is passed through as a pointer-sized value. */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;
    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return fake("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;
    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return fake("fcntl64", fd, cmd, arg);
}
