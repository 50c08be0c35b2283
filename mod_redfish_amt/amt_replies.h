/* What the Redfish layer takes out of each kind of AMT reply: the XPaths and value
 * mappings behind amt_get_state() and the method calls, parse-only (no network), so that
 * recorded firmware replies (t/vectors/, docs/test-vectors.md) go through exactly the
 * code the product runs. httpd-free. Each function reads an already parsed reply
 * (wsman_reply_parse or wsman_client_send) and returns AMT_OK or AMT_E_PROTOCOL (with a
 * reason in err) unless said otherwise. */
#ifndef AMT_REPLIES_H
#define AMT_REPLIES_H

#include <stddef.h>
#include <stdint.h>

#include "amt_ops.h"
#include "wsman_xml.h"

#define AMT_URI_REDIR WSMAN_URI_AMT("AMT_RedirectionService")
#define AMT_URI_SETUP WSMAN_URI_AMT("AMT_SetupAndConfigurationService")
#define AMT_URI_GENERAL WSMAN_URI_AMT("AMT_GeneralSettings")
#define AMT_URI_OPTIN WSMAN_URI_IPS("IPS_OptInService")
#define AMT_URI_KVM_SAP WSMAN_URI_CIM("CIM_KVMRedirectionSAP")
#define AMT_URI_POWER_SVC WSMAN_URI_CIM("CIM_PowerManagementService")
#define AMT_URI_SATE WSMAN_URI_CIM("CIM_ServiceAvailableToElement")
#define AMT_URI_APMS WSMAN_URI_CIM("CIM_AssociatedPowerManagementService")
#define AMT_URI_CHASSIS WSMAN_URI_CIM("CIM_Chassis")
#define AMT_URI_CSP WSMAN_URI_CIM("CIM_ComputerSystemPackage")
#define AMT_URI_IPS_POWER WSMAN_URI_IPS("IPS_PowerManagementService")

/* AMT_RedirectionService Get/Put: EnabledState and ListenerEnabled (both required). */
int amt_reply_redirection(wsman_reply *r, uint32_t *enabled_state, int *listener, char *err,
                          size_t errlen);
/* EnabledState/ListenerEnabled -> out->sol_enabled, ider_enabled, listener_enabled. */
void amt_state_set_redirection(amt_state *out, uint32_t enabled_state, int listener);

/* IPS_OptInService Get -> out->optin_required, optin_state. The DestinationUnreachable
 * fault (no consent service on this platform) -> out->optin_absent, AMT_OK; any other
 * fault: AMT_E_FAULT. */
int amt_reply_optin(wsman_reply *r, amt_state *out, char *err, size_t errlen);

/* IPS_PowerManagementService Get -> OSPowerSavingState (3 = Modern Standby); the
 * DestinationUnreachable fault (firmware before AMT 10) -> 0, AMT_OK. */
int amt_reply_os_power_saving(wsman_reply *r, int *state, char *err, size_t errlen);

/* CIM_KVMRedirectionSAP Get -> out->kvm_available/enabled/active. A reply that is the
 * DestinationUnreachable fault means "no KVM on this platform": AMT_OK, kvm_available 0.
 * Any other fault: AMT_E_FAULT. */
int amt_reply_kvm_sap(wsman_reply *r, amt_state *out, char *err, size_t errlen);

/* AMT_SetupAndConfigurationService Get -> out->control_mode (ProvisioningMode 1 ACM, 4 CCM). */
int amt_reply_control_mode(wsman_reply *r, amt_state *out, char *err, size_t errlen);

/* CIM_ServiceAvailableToElement EnumerateResponse -> the EnumerationContext. */
int amt_reply_enum_context(wsman_reply *r, char *ctx, size_t ctxlen, char *err, size_t errlen);
/* Its PullResponse -> PowerState of the first CIM_AssociatedPowerManagementService item. */
int amt_reply_power_state(wsman_reply *r, int *power, char *err, size_t errlen);

/* Identity (optional properties: a missing or oversized one leaves the field ""). */
void amt_reply_chassis(wsman_reply *r, char *model, size_t modellen, char *manufacturer,
                       size_t manufacturerlen);
void amt_reply_hostname(wsman_reply *r, char *hostname, size_t hostnamelen);
/* CIM_ComputerSystemPackage.PlatformGUID as a canonical UUID, "" if absent or malformed. */
void amt_reply_platform_guid(wsman_reply *r, char out[37]);

/* "Intel(R) Active Management Technology 15.0.23.1706" -> "15.0.23.1706"; "" otherwise. */
void amt_fw_from_server_header(const char *server, char *out, size_t outlen);

/* <method>_OUTPUT/ReturnValue of class uri (required). */
int amt_reply_method_rv(wsman_reply *r, const char *uri, const char *method, uint32_t *rv,
                        char *err, size_t errlen);

/* Whether r is a fault whose subcode's local name is `local` (e.g. DestinationUnreachable). */
int amt_reply_fault_is(const wsman_reply *r, const char *local);

#endif
