/* Redirection tokens, httpd side: the dedicated signing key (kept across graceful
 * restarts in ap_retained_data), issuance, and the check offered to mod_amt_relay. */
#ifndef RF_TOKENS_H
#define RF_TOKENS_H

#include "redfish_amt_api.h"
#include "rf_http.h"
#include "rf_token.h"

typedef struct rf_jti_slot {
    char jti[33];
    apr_int64_t exp;   /* seconds; 0 = free */
} rf_jti_slot;

/* post_config: creates (first start) or finds (graceful restart) the key. */
int rf_tokens_init(server_rec *s);

/* Signs a token for (system, mode) bound to q's session. 0 or -1. */
int rf_token_issue(rf_req *q, const char *system_id, const char *mode, char *out, size_t outlen,
                   apr_int64_t *exp);

redfish_amt_token_status rf_token_check(request_rec *r, const char *token, const char *system_id,
                                        const char *mode, const char **user,
                                        const char **session_id);

#endif
