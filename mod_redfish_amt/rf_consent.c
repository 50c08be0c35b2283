/* The consent OEM actions: IPS_OptInService StartOptIn / SendOptInCode /
 * CancelOptIn, with AMT return codes turned into clear Redfish errors. AMT
 * consent is per device, so the KVM and SOL actions drive the same state;
 * what differs is whether consent is required for that mode. */
#include "rf_actions.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "rf_amt_map.h"
#include "rf_consent_owner.h"
#include "rf_patch.h"
#include "rf_state.h"

APLOG_USE_MODULE(redfish_amt);

#define AMT_RV_INVALID_STATE 2
#define AMT_RV_BLOCKED 3
#define AMT_RV_CODE_REJECTED 2066
#define RF_LOCKOUT_RETRY 60

static int locked_out(rf_req *q)
{
    return rf_too_many(q, RF_LOCKOUT_RETRY);
}

int rf_consent_action(rf_req *q, const amt_device *d, const char *action, int mode, int kind,
                      json_t *body)
{
    static const char *const code_param[] = {"ConsentCode", NULL};
    static const char *const none[] = {NULL};
    const char *short_action = strchr(action, '.') + 1;
    json_t *jc = NULL;
    amt_state st;
    amt_client *c;
    uint32_t rv = 0;
    char err[256] = "";
    int rc;

    if ((rc = rf_action_params_only(q, body, action, kind == 1 ? code_param : none)) != OK)
        return rc;
    if (kind == 1) {
        jc = json_object_get(body, "ConsentCode");
        if (!jc)
            return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterMissing", action, "ConsentCode");
        /* A string: a number would lose the code's leading zeros. */
        if (!json_is_string(jc))
            return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueTypeError",
                            rf_json_text(q, jc), "ConsentCode", action);
        if (!rf_consent_code_valid(json_string_value(jc)))
            return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueFormatError",
                            rf_json_text(q, jc), "ConsentCode", action);
    }
    /* Consent belongs to a session (rf_consent_owner.h): HTTP Basic has none. */
    if (kind != 2 && !q->session_id[0])
        return rf_error(q, HTTP_FORBIDDEN, "NoValidSession");
    /* Before the device is asked anything: a refused submission costs it nothing. */
    if (kind == 1) {
        rc = rf_consent_submit_begin(q, d, rf_cfg_consent_attempts(q->cfg));
        if (rc == RF_OWNER_LOCKED)
            return locked_out(q);
        if (rc == RF_OWNER_OTHER)
            return rf_error(q, HTTP_FORBIDDEN, "AccessDenied",
                            apr_psprintf(q->r->pool, "%s (the consent code was requested by "
                                         "another session)", short_action));
        if (rc != RF_OWNER_OK)
            return rf_unavailable(q, 1);
    }

    rc = rf_state_get(q, d, &st, 1);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    if (st.optin_absent)
        return rf_error(q, HTTP_BAD_REQUEST, "ActionNotSupported",
                        apr_psprintf(q->r->pool, "%s (this system has no user consent service)",
                                     short_action));
    if (!rf_consent_required(&st, (rf_redir_mode)mode))
        return rf_error(q, HTTP_BAD_REQUEST, "ActionNotSupported",
                        apr_psprintf(q->r->pool,
                                     "%s (user consent is not required for %s on this system%s)",
                                     short_action, mode == RF_MODE_KVM ? "KVM" : "SOL",
                                     st.control_mode == AMT_MODE_ACM ? ", which is in ACM" : ""));
    if (kind == 0 && rf_consent_granted(&st))
        return rf_success(q); /* already granted: nothing to ask the user */
    if (kind == 2 && !rf_consent_may_cancel(q, d)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish: %s may not cancel consent on %s "
                      "requested by another session", ap_escape_logitem(q->r->pool, q->user),
                      d->system_id);
        return rf_error(q, HTTP_FORBIDDEN, "InsufficientPrivilege");
    }

    if ((rc = rf_device_acquire(q, d, &c)) != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    if (kind == 0)
        rc = amt_optin_start(c, &rv, err, sizeof(err));
    else if (kind == 1)
        rc = amt_optin_send_code(c, json_string_value(jc), &rv, err, sizeof(err));
    else
        rc = amt_optin_cancel(c, &rv, err, sizeof(err));
    rf_device_release(q, d, c);

    if (rc == AMT_E_RETURN_VALUE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "AMT %s: %s returned %u", d->system_id,
                      short_action, (unsigned)rv);
        switch (rv) {
        case AMT_RV_CODE_REJECTED: /* counted by rf_consent_submit_begin */
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r,
                          "Redfish: wrong consent code from %s for %s",
                          ap_escape_logitem(q->r->pool, q->user), d->system_id);
            return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueError", "ConsentCode",
                            action);
        case AMT_RV_BLOCKED:
            return locked_out(q);
        case AMT_RV_INVALID_STATE:
            /* e.g. a code submitted when none is displayed, or nothing to cancel */
            return rf_error(q, HTTP_CONFLICT, "ResourceInUse");
        default:
            return rf_error(q, HTTP_BAD_GATEWAY, "OperationFailed");
        }
    }
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, err);
    if (kind == 0)
        rf_consent_requested(q, d);
    else if (kind == 1)
        rf_consent_granted_to(q, d, (rf_redir_mode)mode);
    return rf_success(q);
}
