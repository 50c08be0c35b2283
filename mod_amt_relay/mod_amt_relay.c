/* mod_amt_relay: WebSocket <-> Intel AMT redirection bridge.
 *
 * Glue only: module record, hooks, and the binding to mod_redfish_amt, which owns
 * the device registry and the redirection tokens. The work is in relay_handler.c
 * (handshake), relay_loop.c (I/O), relay_pump.c (stream logic), relay_registry.c
 * (shared stream table), relay_status.c (mod_status), relay_config.c (directives). */
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"
#include "apr_optional.h"
#include "mod_status.h"

#include "amt_relay_api.h"
#include "redfish_amt_api.h"
#include "relay_config.h"
#include "relay_glue.h"
#include "relay_registry.h"

int relay_handler(request_rec *r);
int relay_status_hook(request_rec *r, int flags);

/* Bound in post_config; NULL means mod_redfish_amt is not loaded. */
APR_OPTIONAL_FN_TYPE(redfish_amt_find_device) *relay_find_device;
APR_OPTIONAL_FN_TYPE(redfish_amt_check_token) *relay_check_token;
APR_OPTIONAL_FN_TYPE(redfish_amt_sessions_ended) *relay_sessions_ended;
APR_OPTIONAL_FN_TYPE(redfish_amt_stream_session) *relay_stream_session;

static void relay_optional_fn_retrieve(void)
{
    relay_find_device = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_find_device);
    relay_check_token = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_check_token);
    relay_sessions_ended = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_sessions_ended);
    relay_stream_session = APR_RETRIEVE_OPTIONAL_FN(redfish_amt_stream_session);
}

/* Exported as an optional function (APR_REGISTER_OPTIONAL_FN uses the name):
 * mod_redfish_amt reports KVMStatus/SOLStatus "Active" while a stream is live. */
static int amt_relay_active_streams(const char *system_id, const char *mode)
{
    return relay_registry_active(system_id, mode);
}

/* Exported as an optional function: mod_redfish_amt's EndRedirectionSessions. */
static int amt_relay_end_streams(const char *system_id, const char *mode)
{
    return relay_registry_end(system_id, mode);
}

static int relay_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    return relay_registry_pre_config(pconf) == APR_SUCCESS ? OK : !OK;
}

static int relay_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    /* httpd runs the optional_fn_retrieve hook only after post_config (just before
       the MPM starts), so bind here too: the functions are registered as soon as
       mod_redfish_amt's register_hooks ran */
    relay_optional_fn_retrieve();
    if (!relay_find_device || !relay_check_token || !relay_sessions_ended || !relay_stream_session) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_amt_relay needs mod_redfish_amt: add "
                     "'LoadModule redfish_amt_module .../mod_redfish_amt.so' before mod_amt_relay");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK; /* the dry run: shared memory is made in the real pass only */
    return relay_registry_post_config(pconf, s, relay_conf_get(s)->max_streams);
}

static void relay_child_init(apr_pool_t *p, server_rec *s)
{
    relay_registry_child_init(p, s);
}

static void relay_register_hooks(apr_pool_t *p)
{
    ap_hook_optional_fn_retrieve(relay_optional_fn_retrieve, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(relay_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(relay_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(relay_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(relay_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, relay_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
    APR_REGISTER_OPTIONAL_FN(amt_relay_active_streams);
    APR_REGISTER_OPTIONAL_FN(amt_relay_end_streams);
}

AP_DECLARE_MODULE(amt_relay) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    relay_create_server_config,
    relay_merge_server_config,
    relay_cmds,
    relay_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
