/* How AMT state reads in Redfish terms: power, consent, KVM/SOL status, ResetType.
 * httpd-free and table-driven, so the mapping is unit-tested on its own. */
#ifndef RF_AMT_MAP_H
#define RF_AMT_MAP_H

#include "amt_ops.h"

typedef enum { RF_MODE_KVM = 0, RF_MODE_SOL = 1 } rf_redir_mode;

/* Consent is decided by OptInRequired, not by the control mode alone
 * (ACM may also require it): 1 covers KVM, 0xFFFFFFFF covers everything. */
int rf_consent_required(const amt_state *st, rf_redir_mode mode);
/* OptInState 3 (code received) or 4 (in session). */
int rf_consent_granted(const amt_state *st);

const char *rf_power_state(int cim_power_state);          /* "On", "Off", "Paused"... */
const char *rf_control_mode(amt_control_mode m);           /* "ACM", "CCM" or NULL */
const char *rf_consent_status(const amt_state *st, rf_redir_mode mode);
const char *rf_redir_status(const amt_state *st, rf_redir_mode mode); /* KVMStatus/SOLStatus */
/* Same, knowing live_streams relay streams of that mode are open to the device
 * (> 0: "Active", unless KVM is not available at all). */
const char *rf_redir_status_live(const amt_state *st, rf_redir_mode mode, int live_streams);

/* Redfish ResetType -> CIM PowerState for RequestPowerStateChange; -1 if unsupported. */
int rf_reset_to_cim(const char *reset_type);
/* NULL-terminated list of the ResetType values we accept. */
extern const char *const rf_reset_types[];

/* 1 when AMT may hold back or drop the power change cim while a redirection session
 * is open (everything but On, ForceRestart and Nmi): such a reset is refused while a
 * console session is live (docs/real-hardware-redirection.md). */
int rf_power_needs_idle(int cim);

/* Six ASCII digits, nothing else. */
int rf_consent_code_valid(const char *code);

#endif
