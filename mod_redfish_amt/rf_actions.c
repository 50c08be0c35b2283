/* ComputerSystem.Reset, the OEM action dispatch, and GenerateRedirectionToken. */
#include "rf_actions.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "rf_amt_map.h"
#include "rf_consent_owner.h"
#include "rf_patch.h"
#include "rf_power_guard.h"
#include "rf_revoke.h"
#include "rf_state.h"
#include "rf_tokens.h"

APLOG_USE_MODULE(redfish_amt);

int rf_action_body(rf_req *q, json_t **body)
{
    const char *cl = apr_table_get(q->r->headers_in, "Content-Length");
    const char *te = apr_table_get(q->r->headers_in, "Transfer-Encoding");
    int rc;
    /* Parameterless actions may be POSTed without a body, but never without
     * saying JSON: a browser can send an empty text/plain or form POST to
     * another site without asking it first (the router checks this too). */
    if ((rc = rf_require_json_content_type(q)) != OK)
        return rc;
    if ((!cl || strcmp(cl, "0") == 0) && !te) {
        *body = json_object();
        apr_pool_cleanup_register(q->r->pool, *body, rf_json_cleanup, apr_pool_cleanup_null);
        return OK;
    }
    return rf_read_json_object(q, body);
}

int rf_action_params_only(rf_req *q, json_t *body, const char *action, const char *const *allowed)
{
    const char *key;
    json_t *v, *msgs = json_array();
    json_object_foreach(body, key, v) {
        int ok = 0;
        for (int i = 0; allowed && allowed[i]; i++)
            ok |= strcmp(key, allowed[i]) == 0;
        if (!ok)
            json_array_append_new(msgs, rf_msg(apr_psprintf(q->r->pool, "#/%s", key),
                                               "ActionParameterUnknown", action, key));
    }
    if (json_array_size(msgs))
        return rf_send_errors(q, HTTP_BAD_REQUEST, msgs);
    json_decref(msgs);
    return OK;
}

int rf_h_reset(rf_req *q)
{
    static const char *const params[] = {"ResetType", NULL};
    const char *action = "ComputerSystem.Reset";
    const amt_device *d = rf_device_param(q, "ComputerSystem");
    json_t *body, *jt;
    amt_client *c;
    uint32_t rv = 0;
    char err[256] = "";
    int cim, rc;

    if (!d)
        return DONE;
    if ((rc = rf_action_body(q, &body)) != OK)
        return rc;
    if ((rc = rf_action_params_only(q, body, action, params)) != OK)
        return rc;
    jt = json_object_get(body, "ResetType");
    if (!jt)
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterMissing", action, "ResetType");
    if (!json_is_string(jt))
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueTypeError", rf_json_text(q, jt),
                        "ResetType", action);
    cim = rf_reset_to_cim(json_string_value(jt));
    if (cim < 0)
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueNotInList", rf_json_text(q, jt),
                        "ResetType", action);
    if (rf_power_guard_before(q, d, cim, json_string_value(jt)) != OK)
        return DONE;
    /* On/ForceOn to a host in Modern Standby: it is already On (CIM 2), so AMT would
     * refuse power-on; waking the OS is what the caller means. */
    amt_state st;
    int wake = cim == 2 && rf_state_get(q, d, &st, 0) == AMT_OK && st.power_state == 2 &&
               st.os_power_saving == 3;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "AMT %s: %s -> %s", d->system_id,
                  json_string_value(jt), wake ? "wake from Modern Standby" : "power state change");
    if ((rc = rf_device_acquire(q, d, &c)) != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    rc = wake ? amt_os_power_saving_wake(c, &rv, err, sizeof(err))
              : amt_power_change(c, cim, &rv, err, sizeof(err));
    rf_device_release(q, d, c);
    if (rc == AMT_E_RETURN_VALUE && rf_power_guard_refused(q, d, rv, json_string_value(jt)) != OK)
        return DONE;
    if (rc == AMT_E_RETURN_VALUE) {
        /* AMT refuses power states not in AvailableRequestedPowerStates for the
         * current state (e.g. On while already on). */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "AMT %s refused power state %d: ReturnValue %u",
                      d->system_id, cim, (unsigned)rv);
        return rf_error(q, HTTP_CONFLICT, "ActionParameterValueNotInList", rf_json_text(q, jt),
                        "ResetType", action);
    }
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, err);
    if (rf_power_guard_after(q, d, cim, json_string_value(jt)) != OK)
        return DONE;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish: %s reset %s (%s)", q->user,
                  d->system_id, json_string_value(jt));
    return rf_success(q);
}

static int generate_token(rf_req *q, const amt_device *d, json_t *body)
{
    static const char *const params[] = {"Mode", NULL};
    const char *action = "IntelComputerSystem.GenerateRedirectionToken";
    json_t *jm = json_object_get(body, "Mode");
    const char *mode = "kvm";
    char token[RF_TOKEN_MAX_LEN];
    apr_int64_t exp;
    apr_time_exp_t t;
    char iso[64];
    amt_state st;
    rf_redir_mode m = RF_MODE_KVM;
    int rc, enabled, retry, need_consent;
    json_t *o;

    if ((rc = rf_action_params_only(q, body, action, params)) != OK)
        return rc;
    if (jm && !json_is_string(jm))
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueTypeError", rf_json_text(q, jm),
                        "Mode", action);
    if (jm && strcmp(json_string_value(jm), "SOL") == 0) {
        mode = "sol";
        m = RF_MODE_SOL;
    } else if (jm && strcmp(json_string_value(jm), "KVM") != 0) {
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueNotInList", rf_json_text(q, jm),
                        "Mode", action);
    }
    /* The token names the session that asked for it; HTTP Basic has none. */
    if (!q->session_id[0])
        return rf_error(q, HTTP_FORBIDDEN, "NoValidSession");
    /* a stream outlives many requests: its user is confirmed right now */
    if ((rc = rf_revoke_recheck(q, 0, 1)) != OK)
        return rc;
    rc = rf_state_get(q, d, &st, 0);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    enabled = m == RF_MODE_KVM ? st.kvm_available && st.kvm_enabled && st.listener_enabled
                               : st.sol_enabled && st.listener_enabled;
    if (!enabled)
        return rf_error(q, HTTP_CONFLICT, "ServiceDisabled",
                        m == RF_MODE_KVM ? "GraphicalConsole" : "SerialConsole/WebSocket");
    need_consent = rf_token_needs_redfish_consent(q, d, &st, m);
    if (need_consent && !rf_consent_granted(&st))
        return rf_error(q, HTTP_FORBIDDEN, "AccessDenied", rf_console_uri(q, d, mode));
    if (need_consent && (rc = rf_consent_owner_check(q, d, q->session_id, m)) != RF_OWNER_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish: %s token refused to %s: %s",
                      mode, ap_escape_logitem(q->r->pool, q->user), rf_consent_owner_reason(rc));
        return rf_error(q, HTTP_FORBIDDEN, "AccessDenied",
                        apr_psprintf(q->r->pool, "%s (%s)", rf_console_uri(q, d, mode),
                                     rf_consent_owner_reason(rc)));
    }
    rc = rf_token_issue(q, d->system_id, mode, token, sizeof(token), &exp, &retry);
    if (rc == RF_ISSUE_QUOTA)
        return rf_too_many(q, retry);
    if (rc != RF_ISSUE_OK)
        return rf_error(q, HTTP_INTERNAL_SERVER_ERROR, "InternalError");
    apr_time_exp_gmt(&t, apr_time_from_sec(exp));
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d+00:00", t.tm_year + 1900,
             t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish: %s got a %s token for %s", q->user,
                  mode, d->system_id);
    o = json_pack("{s:s, s:s, s:s}", "RedirectionToken", token, "ExpirationTime", iso,
                  "ConsoleURI", rf_console_uri(q, d, mode));
    memset(token, 0, sizeof(token));
    apr_table_setn(q->r->headers_out, "Cache-Control", "no-store");
    return rf_send_json(q, HTTP_OK, o, 0);
}

int rf_h_oem_action(rf_req *q)
{
    static const struct { const char *name; int mode, kind; } consent[] = {
        {"IntelComputerSystem.RequestKVMConsent", RF_MODE_KVM, 0},
        {"IntelComputerSystem.SubmitKVMConsentCode", RF_MODE_KVM, 1},
        {"IntelComputerSystem.CancelKVMConsent", RF_MODE_KVM, 2},
        {"IntelComputerSystem.RequestSOLConsent", RF_MODE_SOL, 0},
        {"IntelComputerSystem.SubmitSOLConsentCode", RF_MODE_SOL, 1},
        {"IntelComputerSystem.CancelSOLConsent", RF_MODE_SOL, 2}};
    const char *name = q->params[1];
    const amt_device *d;
    json_t *body;
    int rc;

    d = rf_device_param(q, "ComputerSystem");
    if (!d)
        return DONE;
    if (strcmp(name, "IntelComputerSystem.EndRedirectionSessions") == 0) {
        if ((rc = rf_action_body(q, &body)) != OK)
            return rc;
        return rf_revoke_end_streams_action(q, d, body);
    }
    if (strcmp(name, "IntelComputerSystem.GenerateRedirectionToken") != 0) {
        size_t i;
        for (i = 0; i < sizeof(consent) / sizeof(consent[0]); i++)
            if (strcmp(name, consent[i].name) == 0)
                break;
        if (i == sizeof(consent) / sizeof(consent[0]))
            return rf_error(q, HTTP_NOT_FOUND, "ResourceMissingAtURI",
                            ap_escape_html(q->r->pool, q->r->uri));
        if ((rc = rf_action_body(q, &body)) != OK)
            return rc;
        return rf_consent_action(q, d, name, consent[i].mode, consent[i].kind, body);
    }
    if ((rc = rf_action_body(q, &body)) != OK)
        return rc;
    return generate_token(q, d, body);
}
