/* relay_config: AmtRelay* directives (server / virtual-host scope). */
#include "relay_config.h"

#include "apr_strings.h"
#include "http_log.h"

#include "relay_glue.h"

APLOG_USE_MODULE(amt_relay);

void *relay_create_server_config(apr_pool_t *p, server_rec *s)
{
    relay_conf *c = apr_pcalloc(p, sizeof(*c));
    c->max_streams = RELAY_DEFAULT_MAX_STREAMS;
    c->idle_timeout = RELAY_DEFAULT_IDLE;
    c->connect_timeout = RELAY_DEFAULT_CONNECT;
    c->ping_interval = RELAY_DEFAULT_PING;
    c->busy_wait = RELAY_DEFAULT_BUSY_WAIT;
    c->max_message = RELAY_DEFAULT_MAX_MESSAGE;
    c->buffer_size = RELAY_DEFAULT_BUFFER;
    return c;
}

void *relay_merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    relay_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
#define PICK(f, flag) c->f = add->flag ? add->f : base->f; c->flag = add->flag | base->flag
    PICK(max_streams, max_streams_set);
    PICK(idle_timeout, idle_set);
    PICK(connect_timeout, connect_set);
    PICK(ping_interval, ping_set);
    PICK(busy_wait, busy_wait_set);
    PICK(max_message, max_message_set);
    PICK(buffer_size, buffer_set);
#undef PICK
    c->origins = add->origins ? add->origins : base->origins;
    return c;
}

relay_conf *relay_conf_get(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &amt_relay_module);
}

static const char *parse_num(cmd_parms *cmd, const char *arg, apr_int64_t lo, apr_int64_t hi,
                             apr_int64_t *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);
    if (!*arg || *end || v < lo || v > hi)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number between %" APR_INT64_T_FMT
                            " and %" APR_INT64_T_FMT, cmd->cmd->name, arg, lo, hi);
    *out = v;
    return NULL;
}

static const char *set_max_streams(cmd_parms *cmd, void *d, const char *arg)
{
    relay_conf *c = relay_conf_get(cmd->server);
    apr_int64_t v;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    if (err)
        return err; /* one shared table for the whole server */
    if ((err = parse_num(cmd, arg, 1, 100000, &v)))
        return err;
    c->max_streams = (int)v;
    c->max_streams_set = 1;
    return NULL;
}

static const char *set_seconds(cmd_parms *cmd, void *d, const char *arg)
{
    relay_conf *c = relay_conf_get(cmd->server);
    apr_int64_t v;
    const char *err;
    const char *name = cmd->cmd->name;
    int busy = !strcasecmp(name, "AmtRelayBusyWait");
    int allow_zero = busy || !strcasecmp(name, "AmtRelayPingInterval");
    /* a client waits in silence meanwhile: a minute is already long */
    if ((err = parse_num(cmd, arg, allow_zero ? 0 : 1, busy ? 60 : 86400, &v)))
        return err;
    if (!strcasecmp(name, "AmtRelayIdleTimeout")) {
        c->idle_timeout = apr_time_from_sec(v);
        c->idle_set = 1;
    } else if (!strcasecmp(name, "AmtRelayConnectTimeout")) {
        c->connect_timeout = apr_time_from_sec(v);
        c->connect_set = 1;
    } else if (busy) {
        c->busy_wait = apr_time_from_sec(v);
        c->busy_wait_set = 1;
    } else {
        c->ping_interval = apr_time_from_sec(v);
        c->ping_set = 1;
    }
    return NULL;
}

static const char *set_bytes(cmd_parms *cmd, void *d, const char *arg)
{
    relay_conf *c = relay_conf_get(cmd->server);
    apr_int64_t v;
    const char *err;
    if (!strcasecmp(cmd->cmd->name, "AmtRelayMaxMessage")) {
        if ((err = parse_num(cmd, arg, 1024, APR_INT64_C(1) << 40, &v)))
            return err;
        c->max_message = (apr_off_t)v;
        c->max_message_set = 1;
    } else {
        if ((err = parse_num(cmd, arg, 4096, 16 * 1024 * 1024, &v)))
            return err;
        c->buffer_size = (apr_size_t)v;
        c->buffer_set = 1;
    }
    return NULL;
}

static const char *add_origin(cmd_parms *cmd, void *d, const char *arg)
{
    relay_conf *c = relay_conf_get(cmd->server);
    if (!strchr(arg, ':'))
        return apr_psprintf(cmd->pool, "AmtRelayOriginAllow: '%s' is not an origin "
                            "(scheme://host[:port])", arg);
    if (!c->origins)
        c->origins = apr_array_make(cmd->pool, 4, sizeof(const char *));
    *(const char **)apr_array_push(c->origins) = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

const command_rec relay_cmds[] = {
    AP_INIT_TAKE1("AmtRelayMaxStreams", set_max_streams, NULL, RSRC_CONF,
                  "maximum concurrent relay streams on this server (default 256)"),
    AP_INIT_TAKE1("AmtRelayIdleTimeout", set_seconds, NULL, RSRC_CONF,
                  "seconds without data from either side before a stream is closed (default 300)"),
    AP_INIT_TAKE1("AmtRelayConnectTimeout", set_seconds, NULL, RSRC_CONF,
                  "seconds allowed for the TCP/TLS connection to AMT (default 5)"),
    AP_INIT_TAKE1("AmtRelayPingInterval", set_seconds, NULL, RSRC_CONF,
                  "seconds of client silence before a WebSocket ping; 0 = never (default 30)"),
    AP_INIT_TAKE1("AmtRelayBusyWait", set_seconds, NULL, RSRC_CONF,
                  "seconds to keep asking an AMT that answers BUSY at the session start "
                  "before closing with 1013; 0 = do not ask again (default 3)"),
    AP_INIT_TAKE1("AmtRelayMaxMessage", set_bytes, NULL, RSRC_CONF,
                  "largest WebSocket message accepted from a client, bytes (default 262144)"),
    AP_INIT_TAKE1("AmtRelayBufferSize", set_bytes, NULL, RSRC_CONF,
                  "size of each of the 5 per-stream buffers, bytes (default 65536)"),
    AP_INIT_ITERATE("AmtRelayOriginAllow", add_origin, NULL, RSRC_CONF,
                    "Origin values allowed to open streams (default: any)"),
    { NULL }
};
