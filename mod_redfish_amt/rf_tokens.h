/* Redirection tokens, httpd side: the dedicated signing key (kept across graceful
 * restarts in ap_retained_data), issuance, and the check offered to mod_amt_relay. */
#ifndef RF_TOKENS_H
#define RF_TOKENS_H

#include "redfish_amt_api.h"
#include "rf_http.h"
#include "rf_token.h"

#include "rf_token_ledger.h"
#include "amt_device.h"
#include "rf_amt_map.h"

/* The shared table of issued token ids (rf_token_ledger.h). */
typedef rf_ledger_slot rf_jti_slot;

/* post_config: creates (first start) or finds (graceful restart) the key. */
int rf_tokens_init(server_rec *s);

enum { RF_ISSUE_OK = 0, RF_ISSUE_ERROR = -1, RF_ISSUE_QUOTA = 1 };

/* Records and signs a token for (system, mode) bound to q's session, within the
 * session's and the user's quotas. RF_ISSUE_OK; RF_ISSUE_QUOTA when this session
 * or user is over its quota (*retry_s: seconds until it may ask again);
 * RF_ISSUE_ERROR otherwise. */
int rf_token_issue(rf_req *q, const char *system_id, const char *mode, char *out, size_t outlen,
                   apr_int64_t *exp, int *retry_s);

/* 1 when a KVM/SOL token for d needs a consent obtained through Redfish first, by
 * the device's OptInRequired and this virtual host's RedfishKVMConsent /
 * RedfishSOLConsent (rf_consent_policy.h); the decision is logged at TRACE1. */
int rf_token_needs_redfish_consent(rf_req *q, const amt_device *d, const amt_state *st,
                                   rf_redir_mode mode);

/* Slots of the token-id table for this configuration. */
unsigned rf_tokens_table_slots(server_rec *s);

redfish_amt_token_status rf_token_check(request_rec *r, const char *token, const char *system_id,
                                        const char *mode, const char **user,
                                        const char **session_id);

#endif
