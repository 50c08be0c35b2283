/* The consent gate on redirection tokens (rf_consent_policy.c): which of the
 * RedfishKVMConsent / RedfishSOLConsent settings need a consent obtained through
 * Redfish before a token is issued, for every OptInRequired value. */
#include <string.h>

#include "rf_consent_policy.h"
#include "tap.h"

static amt_state device(uint32_t optin_required)
{
    amt_state st;
    memset(&st, 0, sizeof(st));
    st.control_mode = AMT_MODE_CCM;
    st.optin_required = optin_required;
    return st;
}

int main(void)
{
    static const struct {
        uint32_t optin_required;
        rf_redir_mode mode;
        rf_kvm_consent kvm;
        rf_sol_consent sol;
        rf_consent_gate want;
        const char *what;
    } cases[] = {
        {0, RF_MODE_KVM, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED, RF_GATE_NOT_REQUIRED, "none/KVM/defaults"},
        {0, RF_MODE_KVM, RF_KVM_CONSENT_INBAND, RF_SOL_CONSENT_AMT, RF_GATE_NOT_REQUIRED, "none/KVM/inband"},
        {0, RF_MODE_SOL, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED, RF_GATE_NOT_REQUIRED, "none/SOL/defaults"},
        {1, RF_MODE_KVM, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED, RF_GATE_REDFISH, "KVM-only/KVM/redfish"},
        {1, RF_MODE_KVM, RF_KVM_CONSENT_INBAND, RF_SOL_CONSENT_REQUIRED, RF_GATE_INBAND, "KVM-only/KVM/inband"},
        {1, RF_MODE_SOL, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED, RF_GATE_NOT_REQUIRED, "KVM-only/SOL/required"},
        {1, RF_MODE_SOL, RF_KVM_CONSENT_INBAND, RF_SOL_CONSENT_AMT, RF_GATE_NOT_REQUIRED, "KVM-only/SOL/amt"},
        {0xFFFFFFFFu, RF_MODE_KVM, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_AMT, RF_GATE_REDFISH, "ALL/KVM/redfish (SOL amt does not leak into KVM)"},
        {0xFFFFFFFFu, RF_MODE_KVM, RF_KVM_CONSENT_INBAND, RF_SOL_CONSENT_REQUIRED, RF_GATE_INBAND, "ALL/KVM/inband"},
        {0xFFFFFFFFu, RF_MODE_SOL, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED, RF_GATE_REDFISH, "ALL/SOL/required"},
        {0xFFFFFFFFu, RF_MODE_SOL, RF_KVM_CONSENT_INBAND, RF_SOL_CONSENT_REQUIRED, RF_GATE_REDFISH, "ALL/SOL/required (KVM inband does not leak into SOL)"},
        {0xFFFFFFFFu, RF_MODE_SOL, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_AMT, RF_GATE_SOL_AMT, "ALL/SOL/amt"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        amt_state st = device(cases[i].optin_required);
        is_int(rf_consent_gate_for(&st, cases[i].mode, cases[i].kvm, cases[i].sol), cases[i].want, "%s",
               cases[i].what);
    }
    /* a consent already granted changes nothing about which gate applies */
    amt_state st = device(1);
    st.optin_state = AMT_OPTIN_RECEIVED;
    is_int(rf_consent_gate_for(&st, RF_MODE_KVM, RF_KVM_CONSENT_REDFISH, RF_SOL_CONSENT_REQUIRED), RF_GATE_REDFISH,
           "granted consent: still the Redfish gate (the caller checks the grant and its owner)");
    for (int g = RF_GATE_NOT_REQUIRED; g <= RF_GATE_SOL_AMT; g++)
        ok(strcmp(rf_consent_gate_name((rf_consent_gate)g), "?") != 0, "gate %d has a name for the log", g);
    return tap_done();
}
