/* The consent gate on redirection tokens (see rf_consent_policy.h). */
#include "rf_consent_policy.h"

rf_consent_gate rf_consent_gate_for(const amt_state *st, rf_redir_mode mode, rf_kvm_consent kvm,
                                    rf_sol_consent sol)
{
    if (!rf_consent_required(st, mode))
        return RF_GATE_NOT_REQUIRED;
    /* Nothing is weakened by the two relaxations: for KVM the firmware itself shows
       the picture only after the code from the machine's screen was typed; for SOL
       the firmware never asked (Intel's SDK: consent "allows opening an SOL
       session"), only this service's stricter default did. */
    if (mode == RF_MODE_KVM)
        return kvm == RF_KVM_CONSENT_INBAND ? RF_GATE_INBAND : RF_GATE_REDFISH;
    return sol == RF_SOL_CONSENT_AMT ? RF_GATE_SOL_AMT : RF_GATE_REDFISH;
}

const char *rf_consent_gate_name(rf_consent_gate g)
{
    switch (g) {
    case RF_GATE_NOT_REQUIRED: return "consent not required by the device";
    case RF_GATE_REDFISH: return "consent through Redfish required";
    case RF_GATE_INBAND: return "RedfishKVMConsent inband: AMT asks for the code in the KVM picture";
    case RF_GATE_SOL_AMT: return "RedfishSOLConsent amt: AMT opens SOL without consent";
    }
    return "?";
}
