/* ComputerSystem.Reset while a console (redirection) session is open.
 * AMT does not treat power changes during a KVM/SOL session consistently: field
 * reports show a power-off refused, silently dropped, or accepted and carried out
 * only when the session ends (minutes later). A Redfish client must never get a
 * success for a power-off that has not happened, so (docs/real-hardware-redirection.md):
 *  - before: every change but On/ForceRestart/Nmi is refused with 409 while a console
 *    session is known, from the relay's live streams or from AMT's own KVM state;
 *  - after: a ForceOff that AMT accepted is checked against the host's power state
 *    (a session this service cannot see, e.g. SOL opened by another console, makes
 *    AMT drop or defer it). */
#include "rf_power_guard.h"

#include "apr_strings.h"
#include "http_log.h"

#include "rf_amt_map.h"
#include "rf_handlers.h"
#include "rf_state.h"

APLOG_USE_MODULE(redfish_amt);

/* How long a ForceOff that AMT accepted may take to show in PowerState. */
#define OFF_CONFIRM_POLLS 8
#define OFF_CONFIRM_STEP apr_time_from_msec(250)

static int console_open(rf_req *q, const char *resolution)
{
    json_t *m = rf_msg(NULL, "ResourceInUse");
    json_object_set_new(m, "Resolution", json_string(resolution));
    return rf_send_errors(q, HTTP_CONFLICT, json_pack("[o]", m));
}

int rf_power_guard_before(rf_req *q, const amt_device *d, int cim, const char *reset_type)
{
    int kvm, sol, rc;
    amt_state st;

    if (!rf_power_needs_idle(cim)) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r,
                      "power guard: %s on %s acts during console sessions", reset_type, d->system_id);
        return OK;
    }
    rf_relay_live_streams(d, &kvm, &sol);
    if (kvm + sol == 0) {
        /* a KVM session from another console shows in AMT's own state (SAP 2) */
        if ((rc = rf_state_get(q, d, &st, 1)) != AMT_OK)
            return rf_amt_error(q, d, rc, NULL);
        kvm = st.kvm_active;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r,
                  "power guard: %s on %s: relay/AMT sessions kvm=%d sol=%d", reset_type, d->system_id,
                  kvm, sol);
    if (kvm + sol == 0)
        return OK;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r,
                  "Redfish: %s refused %s on %s: a %s console session is open", q->user, reset_type,
                  d->system_id, kvm ? "KVM" : "SOL");
    return console_open(q, apr_psprintf(q->r->pool,
        "A %s console session is open on this system, and AMT may refuse, drop, or hold back "
        "%s until that session ends. Close the console and resubmit the request, or use "
        "ForceRestart, which AMT carries out during a session.", kvm ? "KVM" : "SOL", reset_type));
}

int rf_power_guard_refused(rf_req *q, const amt_device *d, uint32_t return_value,
                           const char *reset_type)
{
    if (return_value != 6) /* 6: "In Use", AMT's answer while a session holds the device */
        return OK;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r,
                  "Redfish: AMT %s refused %s as in use (a redirection session is open)",
                  d->system_id, reset_type);
    return console_open(q, apr_psprintf(q->r->pool,
        "The device refused %s because a redirection session (KVM, SOL or IDE-R, possibly from "
        "another console) is open on it. Close that session and resubmit the request.",
        reset_type));
}

int rf_power_guard_after(rf_req *q, const amt_device *d, int cim, const char *reset_type)
{
    amt_state st;
    int rc = AMT_OK;

    if (cim != 8) /* only an immediate off has an outcome to wait for */
        return OK;
    for (int i = 0; i < OFF_CONFIRM_POLLS; i++) {
        if (i)
            apr_sleep(OFF_CONFIRM_STEP);
        if ((rc = rf_state_get(q, d, &st, 1)) != AMT_OK)
            break;
        if (st.power_state != 2) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r,
                          "power guard: %s on %s confirmed (PowerState %d)", reset_type,
                          d->system_id, st.power_state);
            return OK;
        }
    }
    if (rc != AMT_OK) /* AMT accepted it; an unreadable state proves nothing either way */
        return OK;
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, q->r,
                  "Redfish: AMT %s accepted %s but the host is still on; a redirection session "
                  "this service does not see may hold it back until it ends", d->system_id, reset_type);
    return console_open(q, apr_psprintf(q->r->pool,
        "The device accepted %s but the host is still on: a redirection session opened outside "
        "this service (for example SOL from another console) holds it. AMT may carry it out when "
        "that session ends, or never. Close that session, then check PowerState and resubmit.",
        reset_type));
}
