/* mod_redfish_amt: DMTF Redfish front door for Intel AMT devices.
 *
 * This file is glue only: the module record, hooks and the optional functions
 * offered to mod_amt_relay. Configuration lives in rf_device_config.c. */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_lib.h"

#include "redfish_amt_api.h"
#include "rf_config.h"

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

/* Until the token service is configured, every token is refused (fail closed). */
static redfish_amt_token_status redfish_amt_check_token(request_rec *r, const char *token,
                                                        const char *system_id, const char *mode,
                                                        const char **user)
{
    return REDFISH_AMT_TOKEN_UNAVAILABLE;
}

static int rf_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    active_registry = NULL;
    return OK;
}

static int rf_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    rf_server_conf *conf = rf_sconf(s);
    active_registry = conf;
    for (int i = 0; i < conf->devices->nelts; i++) {
        const amt_device *d = APR_ARRAY_IDX(conf->devices, i, amt_device *);
        if (d->tls_insecure)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "AmtDevice %s (%s): TLS certificate verification is DISABLED by "
                         "AmtTLSInsecure (declared at %s line %d)",
                         d->system_id, d->host, d->conf_file, d->conf_line);
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "mod_redfish_amt: %d AMT device(s) configured",
                 conf->devices->nelts);
    return OK;
}

static void rf_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(rf_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(rf_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_find_device);
    APR_REGISTER_OPTIONAL_FN(redfish_amt_check_token);
}

AP_DECLARE_MODULE(redfish_amt) = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* per-directory config */
    NULL,                   /* merge per-directory */
    rf_create_server_conf,  /* per-server config */
    rf_merge_server_conf,   /* merge per-server */
    rf_device_cmds,         /* directives */
    rf_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
