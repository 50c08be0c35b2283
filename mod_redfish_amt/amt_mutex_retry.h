/* Locking an httpd global mutex with a retry on spurious errors, shared by
 * mod_redfish_amt (rf_store.c) and mod_amt_relay (relay_registry.c). APR only.
 *
 * fcntl-based mutexes (`Mutex file:...`) can report a false EDEADLK when threads
 * of several processes wait on locks (Linux deadlock detection works per process,
 * not per thread: process A's thread holding lock 1 while its sibling waits on
 * lock 2 held by B, whose other thread waits on lock 1, looks like a cycle). That
 * is contention, not a deadlock: wait a little and try again rather than fail the
 * request. EINTR/EAGAIN are retried likewise. */
#ifndef AMT_MUTEX_RETRY_H
#define AMT_MUTEX_RETRY_H

#include <errno.h>

#include "apr_errno.h"
#include "apr_global_mutex.h"
#include "apr_time.h"

#define AMT_MUTEX_RETRIES 200 /* x 1 ms between tries */

/* APR_SUCCESS, or the last error after AMT_MUTEX_RETRIES tries (callers log it). */
static inline apr_status_t amt_global_mutex_lock_retry(apr_global_mutex_t *m)
{
    apr_status_t rv = APR_EINVAL;
    if (!m)
        return rv;
    for (int tries = 0; tries < AMT_MUTEX_RETRIES; tries++) {
        rv = apr_global_mutex_lock(m);
        if (rv == APR_SUCCESS)
            return rv;
        if (rv != EDEADLK && !APR_STATUS_IS_EINTR(rv) && !APR_STATUS_IS_EAGAIN(rv))
            break;
        apr_sleep(apr_time_from_msec(1));
    }
    return rv;
}

#endif
