/* mod_redfish_amt: DMTF Redfish front door for Intel AMT devices.
 *
 * This file is glue only: the module record, hooks and the optional functions
 * offered to mod_amt_relay. Devices are configured in rf_device_config.c, the
 * Redfish* directives in rf_directives.c; requests start in rf_router.c. */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include <string.h>

#include "http_core.h"

#include "amt_ops.h"
#include "redfish_amt_api.h"
#include "rf_auth.h"
#include "rf_config.h"
#include "rf_handlers.h"
#include "rf_revoke.h"
#include "rf_router.h"
#include "rf_session.h"
#include "rf_state.h"
#include "rf_store.h"
#include "rf_tokens.h"

/* The registry of the running configuration generation (statics in a DSO
 * survive a restart, so this is reset in every post_config). */
static rf_server_conf *active_registry;

/* Exported as an optional function: APR_REGISTER_OPTIONAL_FN uses the name. */
static const amt_device *redfish_amt_find_device(const char *system_id)
{
    char canonical[AMT_UUID_STRLEN + 1];
    size_t i;
    if (!active_registry || !system_id || strlen(system_id) != AMT_UUID_STRLEN)
        return NULL;
    for (i = 0; i < AMT_UUID_STRLEN; i++)
        canonical[i] = (char)apr_tolower(system_id[i]);
    canonical[i] = '\0';
    return apr_hash_get(active_registry->by_id, canonical, APR_HASH_KEY_STRING);
}

/* Exported as an optional function; rf_tokens.c does the work and fails closed. */
static redfish_amt_token_status redfish_amt_check_token(request_rec *r, const char *token,
                                                        const char *system_id, const char *mode,
                                                        const char **user, const char **session_id)
{
    return rf_token_check(r, token, system_id, mode, user, session_id);
}

/* Exported for the relay's streams (rf_revoke.c; redfish_amt_api.h for the rules). */
static apr_uint32_t redfish_amt_sessions_ended(void)
{
    return rf_session_ended_generation();
}

static redfish_amt_session_state redfish_amt_stream_session(request_rec *r, const char *session_id,
                                                            apr_time_t *recheck_at)
{
    return rf_revoke_stream_session(r, session_id, recheck_at);
}

/* Every device setting weaker than the default is said once per start, with where it
 * was configured (none of them reveals a secret). */
static void warn_device(server_rec *s, const amt_device *d, const char *what)
{
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "AmtDevice %s (%s): %s (declared at %s line %d)",
                 d->system_id, d->host, what, d->conf_file, d->conf_line);
}

static void rf_log_device_weakenings(server_rec *s, const amt_device *d)
{
    char what[160];
    if (d->password_inline)
        warn_device(s, d, "AmtPassword is written in the configuration, which mod_info and "
                          "anyone who can read the file can show; use AmtPasswordFile (a file "
                          "only root can read) instead");
    if (!d->tls) {
        snprintf(what, sizeof(what), "AmtTLS off: WS-Man and KVM/SOL travel without TLS "
                 "(ports %d/%d), the digest exchange readable on the network",
                 amt_device_wsman_port(d), amt_device_redir_port(d));
        warn_device(s, d, what);
    }
    if (d->tls_insecure)
        warn_device(s, d, "TLS certificate verification is DISABLED by AmtTLSInsecure");
    if (d->identity_unchecked)
        warn_device(s, d, "AmtIdentityCheck off: the device's PlatformGUID is not compared "
                          "with its SystemId, so a re-addressed machine would be acted on");
    if (d->tls_legacy)
        warn_device(s, d, "AmtTLSLegacy on weakens TLS to this device: TLS 1.0/1.1, security "
                          "level 0 with AES-CBC-SHA ciphers, servers without secure renegotiation");
}

static int rf_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    active_registry = NULL;
    rf_store_pre_config(pconf);
    return OK;
}

/* Shared tables sized from the configuration, the token key, the WS-Man library. */
static int rf_post_config_services(apr_pool_t *pconf, server_rec *s, rf_server_conf *conf)
{
    rf_store_sizes sz;
    memset(&sz, 0, sizeof(sz));
    sz.slots[RF_TABLE_SETTINGS] = 1;
    sz.item_size[RF_TABLE_SETTINGS] = sizeof(rf_settings_slot);
    sz.slots[RF_TABLE_SESSIONS] = (unsigned)rf_cfg_max_sessions(&conf->redfish);
    sz.item_size[RF_TABLE_SESSIONS] = sizeof(rf_session_slot);
    sz.slots[RF_TABLE_JTI] = rf_tokens_table_slots(s);
    sz.item_size[RF_TABLE_JTI] = sizeof(rf_jti_slot);
    sz.slots[RF_TABLE_STATE] = (unsigned)(conf->devices->nelts ? conf->devices->nelts : 1);
    sz.item_size[RF_TABLE_STATE] = sizeof(rf_state_slot);
    sz.slots[RF_TABLE_LOGINFAIL] = RF_LOGINFAIL_SLOTS;
    sz.item_size[RF_TABLE_LOGINFAIL] = sizeof(rf_loginfail_slot);
    if (rf_store_post_config(pconf, s, &sz) != APR_SUCCESS)
        return HTTP_INTERNAL_SERVER_ERROR;
    rf_session_settings_init(rf_cfg_session_timeout(&conf->redfish));
    rf_session_limits(rf_cfg_sessions_per_user(&conf->redfish), rf_cfg_admin_reserve(&conf->redfish));
    rf_session_absolute_init(rf_cfg_absolute_timeout(&conf->redfish));
    {
        int dropped = rf_session_drop_invalid();
        if (dropped)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "mod_redfish_amt: dropped %d damaged "
                         "session record(s) reloaded across the restart", dropped);
    }
    if (rf_tokens_init(s) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (amt_ops_global_init() != AMT_OK) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "mod_redfish_amt: WS-Man library init failed");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void rf_child_init(apr_pool_t *p, server_rec *s)
{
    rf_store_child_init(p, s);
    rf_systems_child_init(p, rf_sconf(s)->devices->nelts);
}

static int rf_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    rf_server_conf *conf = rf_sconf(s);
    active_registry = conf;
    /* optional: mod_amt_relay may not be loaded (then no live stream counts); its
       register_hooks has run by now, whatever the LoadModule order */
    rf_systems_bind_relay();
    for (int i = 0; i < conf->devices->nelts; i++) {
        const amt_device *d = APR_ARRAY_IDX(conf->devices, i, amt_device *);
        rf_log_device_weakenings(s, d);
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "mod_redfish_amt: %d AMT device(s) configured",
                 conf->devices->nelts);
    /* The first (dry-run) configuration pass must not create shared memory. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    return rf_post_config_services(pconf, s, conf);
}

static void rf_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(rf_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(rf_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(rf_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(rf_systems_bind_relay, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(rf_handler, NULL, NULL, APR_HOOK_MIDDLE);
    rf_console_headers_register(p);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_find_device);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_check_token);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_sessions_ended);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_stream_session);
}

AP_DECLARE_MODULE(redfish_amt) = {
    STANDARD20_MODULE_STUFF,
    rf_create_dir_conf,     /* per-directory config (RedfishAuthProvider, RedfishRole) */
    rf_merge_dir_conf,      /* merge per-directory */
    rf_create_server_conf,  /* per-server config */
    rf_merge_server,        /* merge per-server (registry + per-vhost Redfish settings) */
    rf_redfish_cmds,        /* directives: <AmtDevice> ones + Redfish* ones */
    rf_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
