/* mod_amt_relay: WebSocket <-> Intel AMT redirection bridge.
 *
 * Glue only: module record, hooks, and the binding to mod_redfish_amt, which owns
 * the device registry and the redirection tokens. */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_optional.h"

#include "redfish_amt_api.h"
#include "relay_glue.h"

/* Bound in post_config; NULL means mod_redfish_amt is not loaded. */
APR_OPTIONAL_FN_TYPE(redfish_amt_find_device) *relay_find_device;
APR_OPTIONAL_FN_TYPE(redfish_amt_check_token) *relay_check_token;

static int relay_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    /* Retrieved here rather than in the optional_fn_retrieve hook, which httpd
     * runs only after post_config. */
    relay_find_device = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_find_device);
    relay_check_token = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_check_token);
    if (!relay_find_device || !relay_check_token) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_amt_relay needs mod_redfish_amt: add "
                     "'LoadModule redfish_amt_module .../mod_redfish_amt.so' before mod_amt_relay");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void relay_register_hooks(apr_pool_t *p)
{
    ap_hook_post_config(relay_post_config, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(amt_relay) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    relay_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
