/* relay_server_state: whether the whole server is going down (a graceful stop),
 * as opposed to this child being retired while the server goes on (a graceful
 * restart, idle-process maintenance, MaxConnectionsPerChild). The relay ends its
 * streams with 1001 on the first and lets them run on the second. */
#ifndef RELAY_SERVER_STATE_H
#define RELAY_SERVER_STATE_H

#include "apr_pools.h"

/* The PidFile to watch, or NULL when it does not exist now (then
 * relay_server_stopping never says yes). Call when a stream begins. */
const char *relay_watched_pid_file(apr_pool_t *p);
/* 1 when the server is stopping; cheap enough to ask once a second. */
int relay_server_stopping(const char *pid_file, apr_pool_t *p);

#endif
