/* Consent ownership in the device's state slot (see rf_consent_owner.h). */
#include "rf_consent_owner.h"

#include <string.h>

#include "http_log.h"

#include "rf_privileges.h"
#include "rf_store.h"

APLOG_USE_MODULE(redfish_amt);

/* Under the lock: the device's slot if it is this device's (else NULL). */
static rf_state_slot *slot_of(rf_req *q, const amt_device *d)
{
    int i = rf_device_index(q->sconf, d);
    rf_state_slot *s = i < 0 ? NULL : rf_store_slot(RF_TABLE_STATE, (unsigned)i);
    return s && strcmp(s->system_id, d->system_id) == 0 ? s : NULL;
}

void rf_consent_owner_follow(rf_state_slot *s, const amt_state *st)
{
    if (!rf_consent_granted(st)) {
        s->consent_owner[0] = '\0';
        s->consent_mode = 0;
    }
    if (st->optin_state == AMT_OPTIN_NOT_STARTED) {
        s->consent_requester[0] = '\0';
        s->consent_wrong_codes = 0;
    }
}

int rf_consent_owner_check(rf_req *q, const amt_device *d, const char *sid, rf_redir_mode mode)
{
    rf_state_slot *s;
    int rc;
    if (rf_store_lock() != 0)
        return RF_OWNER_ERROR;
    s = slot_of(q, d);
    if (!s || !s->consent_owner[0])
        rc = RF_OWNER_NONE;
    else if (!sid || strcmp(s->consent_owner, sid) != 0)
        rc = RF_OWNER_OTHER;
    else if (s->consent_mode != (int)mode)
        rc = RF_OWNER_MODE;
    else
        rc = RF_OWNER_OK;
    rf_store_unlock();
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "consent owner check for %s: %s",
                  d->system_id, rc == RF_OWNER_OK ? "this session" : rf_consent_owner_reason(rc));
    return rc;
}

const char *rf_consent_owner_reason(int rc)
{
    switch (rc) {
    case RF_OWNER_OTHER: return "user consent was granted to another session";
    case RF_OWNER_NONE:  return "user consent was not granted through this service";
    case RF_OWNER_MODE:  return "user consent was granted for the other mode";
    case RF_OWNER_LOCKED: return "too many wrong consent codes";
    default:             return "consent state unavailable";
    }
}

void rf_consent_requested(rf_req *q, const amt_device *d)
{
    rf_state_slot *s;
    if (rf_store_lock() != 0)
        return;
    if ((s = slot_of(q, d))) {
        memcpy(s->consent_requester, q->session_id, sizeof(s->consent_requester));
        s->consent_owner[0] = '\0';
        s->consent_wrong_codes = 0;
    }
    rf_store_unlock();
}

int rf_consent_submit_begin(rf_req *q, const amt_device *d, int limit)
{
    rf_state_slot *s;
    int rc = RF_OWNER_ERROR;
    if (rf_store_lock() != 0)
        return RF_OWNER_ERROR;
    if ((s = slot_of(q, d))) {
        if (s->consent_requester[0] && strcmp(s->consent_requester, q->session_id) != 0)
            rc = RF_OWNER_OTHER;
        else if (s->consent_wrong_codes >= limit)
            rc = RF_OWNER_LOCKED;
        else {
            s->consent_wrong_codes++; /* reserved now: concurrent submissions see it */
            rc = RF_OWNER_OK;
        }
    }
    rf_store_unlock();
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "consent code submission for %s: %s",
                  d->system_id, rc == RF_OWNER_OK ? "attempt reserved" : rf_consent_owner_reason(rc));
    return rc;
}

void rf_consent_granted_to(rf_req *q, const amt_device *d, rf_redir_mode mode)
{
    rf_state_slot *s;
    if (rf_store_lock() != 0)
        return;
    if ((s = slot_of(q, d))) {
        memcpy(s->consent_owner, q->session_id, sizeof(s->consent_owner));
        s->consent_mode = (int)mode;
        s->consent_wrong_codes = 0;
    }
    rf_store_unlock();
}

int rf_consent_may_cancel(rf_req *q, const amt_device *d)
{
    rf_state_slot *s;
    int ok = 0;
    if (q->role == RF_ROLE_ADMINISTRATOR)
        return 1;
    if (rf_store_lock() != 0)
        return 0;
    if ((s = slot_of(q, d))) {
        const char *holder = s->consent_owner[0] ? s->consent_owner : s->consent_requester;
        ok = !holder[0] || (q->session_id[0] && strcmp(holder, q->session_id) == 0);
    }
    rf_store_unlock();
    return ok;
}
