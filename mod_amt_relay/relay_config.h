/* relay_config: the AmtRelay* directives (documented in README.md, "Directives"). */
#ifndef RELAY_CONFIG_H
#define RELAY_CONFIG_H

#include "httpd.h"
#include "http_config.h"

typedef struct relay_conf {
    int max_streams;                 /* global cap (taken from the main server) */
    apr_interval_time_t idle_timeout;
    apr_interval_time_t connect_timeout;
    apr_interval_time_t ping_interval;
    apr_interval_time_t busy_wait;   /* AMT BUSY at the session start: ask again this long */
    apr_off_t max_message;
    apr_size_t buffer_size;
    apr_array_header_t *origins;     /* allowed Origin values; NULL = no check */
    /* "set" flags so that a virtual host inherits what it does not override */
    unsigned max_streams_set : 1, idle_set : 1, connect_set : 1, ping_set : 1,
             busy_wait_set : 1, max_message_set : 1, buffer_set : 1;
} relay_conf;

#define RELAY_DEFAULT_MAX_STREAMS 256
#define RELAY_DEFAULT_IDLE apr_time_from_sec(300)
#define RELAY_DEFAULT_CONNECT apr_time_from_sec(5)
#define RELAY_DEFAULT_PING apr_time_from_sec(30)
/* A session that just ended (a viewer reloading, a reconnect) is often still being
   torn down on the device for a moment; 3 s covers that without making a client
   wait long for a BUSY that is real. */
#define RELAY_DEFAULT_BUSY_WAIT apr_time_from_sec(3)
#define RELAY_DEFAULT_MAX_MESSAGE (256 * 1024)
#define RELAY_DEFAULT_BUFFER (64 * 1024)

extern const command_rec relay_cmds[];
void *relay_create_server_config(apr_pool_t *p, server_rec *s);
void *relay_merge_server_config(apr_pool_t *p, void *base, void *add);
relay_conf *relay_conf_get(const server_rec *s);

#endif
