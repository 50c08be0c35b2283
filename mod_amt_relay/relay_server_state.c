/* relay_server_state: see relay_server_state.h. */
#include "relay_server_state.h"

#include "ap_mpm.h"
#include "apr_file_info.h"
#include "http_config.h"
#include "mpm_common.h"

/* Is the whole server going down (graceful-stop, which Debian's `systemctl stop`
 * and `restart` use), as opposed to this child being retired while the server goes
 * on (a graceful restart, idle-process maintenance, MaxConnectionsPerChild)?
 * A stream would keep a stopping server alive until GracefulShutdownTimeout (by
 * default: for ever), then be killed without a word to either side; a retired
 * child, on the other hand, should let its streams finish as any request does.
 * The MPM tells a child only that it is draining, not why; what tells a stop from
 * a restart is the parent removing its PidFile, which it does on every stop and
 * never on a restart. A prefork child is not told even that, so there the PidFile
 * alone decides. pid_file is NULL when it did not exist as the stream began (then
 * this never says yes). */
int relay_server_stopping(const char *pid_file, apr_pool_t *p)
{
    apr_finfo_t fi;
    int state = AP_MPMQ_RUNNING, threaded = AP_MPMQ_NOT_SUPPORTED;
    if (!pid_file)
        return 0;
    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    if (threaded != AP_MPMQ_NOT_SUPPORTED &&
        (ap_mpm_query(AP_MPMQ_MPM_STATE, &state) != APR_SUCCESS || state != AP_MPMQ_STOPPING))
        return 0;
    return APR_STATUS_IS_ENOENT(apr_stat(&fi, pid_file, APR_FINFO_TYPE, p));
}

/* The PidFile to watch (see relay_server_stopping), or NULL. */
const char *relay_watched_pid_file(apr_pool_t *p)
{
    apr_finfo_t fi;
    const char *f = ap_pid_fname ? ap_server_root_relative(p, ap_pid_fname) : NULL;
    return f && apr_stat(&fi, f, APR_FINFO_TYPE, p) == APR_SUCCESS ? f : NULL;
}
