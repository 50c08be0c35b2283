/* Which redirection tokens need a user consent obtained through Redfish first.
 * AMT itself asks for consent in two ways: through IPS_OptInService (the Redfish
 * consent actions drive it), and, for a KVM session opened without consent in
 * CCM, with a code form inside the KVM picture. The operator picks, per virtual
 * host, which one KVM relies on (RedfishKVMConsent) and whether SOL, which AMT
 * opens without consent, must have it anyway (RedfishSOLConsent). See
 * docs/consent.md. httpd-free, unit-tested. */
#ifndef RF_CONSENT_POLICY_H
#define RF_CONSENT_POLICY_H

#include "rf_amt_map.h"

typedef enum { RF_KVM_CONSENT_REDFISH = 0, RF_KVM_CONSENT_INBAND = 1 } rf_kvm_consent;
typedef enum { RF_SOL_CONSENT_REQUIRED = 0, RF_SOL_CONSENT_AMT = 1 } rf_sol_consent;

typedef enum {
    RF_GATE_NOT_REQUIRED,  /* the device does not require consent for this mode */
    RF_GATE_REDFISH,       /* a consent obtained through Redfish (bound to the session) */
    RF_GATE_INBAND,        /* KVM: AMT asks the operator in the KVM picture itself */
    RF_GATE_SOL_AMT        /* SOL: AMT opens it without consent and the policy follows AMT */
} rf_consent_gate;

rf_consent_gate rf_consent_gate_for(const amt_state *st, rf_redir_mode mode, rf_kvm_consent kvm,
                                    rf_sol_consent sol);
/* Words for the trace log. */
const char *rf_consent_gate_name(rf_consent_gate g);

#endif
