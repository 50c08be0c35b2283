/* AMT -> Redfish mappings (see rf_amt_map.h ). */
#include "rf_amt_map.h"

#include <string.h>

int rf_consent_required(const amt_state *st, rf_redir_mode mode)
{
    if (mode == RF_MODE_KVM)
        return st->optin_required != 0;
    return st->optin_required == 0xFFFFFFFFu;
}

int rf_consent_granted(const amt_state *st)
{
    return st->optin_state == AMT_OPTIN_RECEIVED || st->optin_state == AMT_OPTIN_IN_SESSION;
}

const char *rf_power_state(int s)
{
    switch (s) {
    case 2: return "On";
    case 3: case 4: return "Paused";     /* sleep: the OS is suspended, not off */
    case 5: case 9: case 10: case 14: return "PoweringOn"; /* cycling/resetting */
    case 7: case 6: case 8: case 12: case 13: return "Off";
    default: return NULL;                /* unknown: omit rather than guess */
    }
}

const char *rf_control_mode(amt_control_mode m)
{
    return m == AMT_MODE_ACM ? "ACM" : m == AMT_MODE_CCM ? "CCM" : NULL;
}

const char *rf_consent_status(const amt_state *st, rf_redir_mode mode)
{
    if (st->optin_absent)
        return "NotApplicable"; /* the platform has no consent service at all */
    if (!rf_consent_required(st, mode))
        return "NotRequired";
    switch (st->optin_state) {
    case AMT_OPTIN_NOT_STARTED: return "Required";
    case AMT_OPTIN_REQUESTED: case AMT_OPTIN_DISPLAYED: return "Requested";
    case AMT_OPTIN_RECEIVED: case AMT_OPTIN_IN_SESSION: return "Granted";
    }
    return "Required";
}

const char *rf_redir_status(const amt_state *st, rf_redir_mode mode)
{
    return rf_redir_status_live(st, mode, 0);
}

const char *rf_redir_status_live(const amt_state *st, rf_redir_mode mode, int live_streams)
{
    int enabled = mode == RF_MODE_KVM ? st->kvm_enabled && st->listener_enabled
                                      : st->sol_enabled && st->listener_enabled;
    if (mode == RF_MODE_KVM && !st->kvm_available)
        return "Error";
    /* A live relay stream is a fact, whatever the cached AMT state says (it may
     * be older than the stream): the console must not offer a second session. */
    if (live_streams > 0)
        return "Active";
    if (!enabled)
        return "Disabled";
    if (mode == RF_MODE_KVM && st->kvm_active)
        return "Active";
    if (rf_consent_required(st, mode) && !rf_consent_granted(st))
        return "PendingConsent";
    if (st->optin_state == AMT_OPTIN_IN_SESSION && mode == RF_MODE_KVM)
        return "Active";
    return "Enabled";
}

/* CIM_PowerManagementService.RequestPowerStateChange values. */
static const struct { const char *redfish; int cim; } reset_map[] = {
    {"On", 2},               /* Power On */
    {"ForceOn", 2},
    {"ForceOff", 8},         /* Power Off - Soft: immediate, what AMT calls "off" */
    {"GracefulShutdown", 12},/* Power Off - Soft Graceful (needs the OS agent) */
    {"ForceRestart", 10},    /* Master Bus Reset */
    {"GracefulRestart", 14}, /* Master Bus Reset Graceful */
    {"PowerCycle", 5},       /* Power Cycle (Off - Soft) */
    {"Nmi", 11},             /* Diagnostic Interrupt (NMI) */
    {NULL, -1}};

const char *const rf_reset_types[] = {"On", "ForceOn", "ForceOff", "GracefulShutdown",
                                      "ForceRestart", "GracefulRestart", "PowerCycle", "Nmi", NULL};

int rf_reset_to_cim(const char *t)
{
    for (int i = 0; t && reset_map[i].redfish; i++)
        if (strcmp(t, reset_map[i].redfish) == 0)
            return reset_map[i].cim;
    return -1;
}

int rf_power_needs_idle(int cim)
{
    /* Power on and NMI do not end anything; the bus reset (10) is the one change
       field reports show AMT carrying out during a KVM session. The graceful reset
       (14) is not known to behave like it, so it is treated like an off. */
    return cim != 2 && cim != 10 && cim != 11;
}

int rf_consent_code_valid(const char *code)
{
    if (!code || strlen(code) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return 1;
}
