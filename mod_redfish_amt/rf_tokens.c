/* Redirection tokens: key, issuance and the relay's check (see rf_tokens.h). */
#include "rf_tokens.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"

#include <openssl/rand.h>

#include "amt_uuid.h"
#include "rf_amt_map.h"
#include "rf_revoke.h"
#include "rf_session.h"
#include "rf_state.h"
#include "rf_store.h"

APLOG_USE_MODULE(redfish_amt);

#define RF_KEY_RETAINED "mod_redfish_amt/redirection-token-key"

/* The key lives in the parent's retained data: a graceful restart keeps it, so
 * tokens issued just before the restart still work; a full stop invalidates
 * every outstanding token, which is the safe direction. */
static unsigned char *token_key;

typedef struct { unsigned char key[RF_TOKEN_KEY_LEN]; int ready; } retained_key;

int rf_tokens_init(server_rec *s)
{
    retained_key *rk = ap_retained_data_get(RF_KEY_RETAINED);
    if (!rk) {
        rk = ap_retained_data_create(RF_KEY_RETAINED, sizeof(*rk));
        memset(rk, 0, sizeof(*rk));
    }
    if (!rk->ready) {
        if (RAND_bytes(rk->key, RF_TOKEN_KEY_LEN) != 1) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                         "mod_redfish_amt: no randomness for the token key");
            token_key = NULL;
            return -1;
        }
        rk->ready = 1;
    }
    token_key = rk->key;
    return 0;
}

int rf_token_issue(rf_req *q, const char *system_id, const char *mode, char *out, size_t outlen,
                   apr_int64_t *exp)
{
    rf_token_claims c;
    apr_int64_t now = apr_time_sec(apr_time_now());
    if (!token_key || !q->session_id[0])
        return -1;
    memset(&c, 0, sizeof(c));
    snprintf(c.sys, sizeof(c.sys), "%s", system_id);
    snprintf(c.mode, sizeof(c.mode), "%s", mode);
    memcpy(c.sid, q->session_id, sizeof(c.sid));
    snprintf(c.sub, sizeof(c.sub), "%s", q->user);
    rf_vhost_issuer(q->r->server, c.iss);
    if (rf_random_hex(c.jti, 16) != 0)
        return -1;
    c.iat = now;
    c.exp = now + rf_cfg_token_lifetime(q->cfg);
    *exp = c.exp;
    return rf_token_sign(token_key, &c, out, outlen) > 0 ? 0 : -1;
}

/* Records jti as used. 0 when it was new, 1 when seen before, -1 when the table
 * is full of live ids or the store is unavailable (refuse: fail closed). */
static int consume_jti(const char *jti, apr_int64_t exp, apr_int64_t now)
{
    rf_jti_slot *free_slot = NULL;
    unsigned n;
    int rc = -1;
    if (rf_store_lock() != 0)
        return -1;
    n = rf_store_slots(RF_TABLE_JTI);
    for (unsigned i = 0; i < n; i++) {
        rf_jti_slot *s = rf_store_slot(RF_TABLE_JTI, i);
        if (!s)
            continue;
        if (s->exp && s->exp <= now)
            memset(s, 0, sizeof(*s)); /* that token is dead anyway */
        if (s->exp && strcmp(s->jti, jti) == 0) {
            rc = 1;
            break;
        }
        if (!s->exp && !free_slot)
            free_slot = s;
    }
    if (rc != 1 && free_slot) {
        memcpy(free_slot->jti, jti, sizeof(free_slot->jti));
        free_slot->exp = exp;
        rc = 0;
    }
    rf_store_unlock();
    return rc;
}

redfish_amt_token_status rf_token_check(request_rec *r, const char *token, const char *system_id,
                                        const char *mode, const char **user,
                                        const char **session_id)
{
    char issuer[33];
    rf_token_claims c;
    rf_token_result tr;
    char canon[37];
    apr_int64_t now = apr_time_sec(apr_time_now());
    rf_session_info si;
    const amt_device *d;
    amt_state st;
    rf_req q;
    int rc;

    if (user)
        *user = NULL;
    if (session_id)
        *session_id = NULL;
    if (!token_key || !r)
        return REDFISH_AMT_TOKEN_UNAVAILABLE;
    tr = rf_token_verify(token_key, token, now, &c);
    if (tr == RF_TOKEN_BAD)
        return REDFISH_AMT_TOKEN_MALFORMED;
    if (tr == RF_TOKEN_EXPIRED)
        return REDFISH_AMT_TOKEN_EXPIRED;
    if (!system_id || amt_uuid_canonical(system_id, canon) != 0 || strcmp(canon, c.sys) != 0)
        return REDFISH_AMT_TOKEN_WRONG_SYSTEM;
    if (!mode || strcmp(mode, c.mode) != 0)
        return REDFISH_AMT_TOKEN_WRONG_MODE;
    /* a token is good only on the virtual host that issued it (its auth config) */
    rf_vhost_issuer(r->server, issuer);
    if (strcmp(issuer, c.iss) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "redirection token of another virtual host "
                      "(issuer %.8s..., this one %.8s...)", c.iss, issuer);
        return REDFISH_AMT_TOKEN_WRONG_ISSUER;
    }
    rc = rf_session_by_id(c.sid, &si);
    if (rc == RF_SESS_ERROR)
        return REDFISH_AMT_TOKEN_UNAVAILABLE;
    if (rc != RF_SESS_OK)
        return REDFISH_AMT_TOKEN_SESSION_GONE;

    rf_req_init(&q, r);
    d = apr_hash_get(q.sconf->by_id, canon, APR_HASH_KEY_STRING);
    if (!d)
        return REDFISH_AMT_TOKEN_WRONG_SYSTEM;
    /* Consent may have lapsed since issuance (AMT times the grant out). */
    rc = rf_state_get(&q, d, &st, 0);
    if (rc != AMT_OK)
        return REDFISH_AMT_TOKEN_UNAVAILABLE;
    if (rf_consent_required(&st, strcmp(mode, "kvm") == 0 ? RF_MODE_KVM : RF_MODE_SOL) &&
        !rf_consent_granted(&st))
        return REDFISH_AMT_TOKEN_NO_CONSENT;

    /* Consume last: a refusal above must not burn the token. */
    rc = consume_jti(c.jti, c.exp, now);
    if (rc == 1)
        return REDFISH_AMT_TOKEN_REPLAYED;
    if (rc != 0)
        return REDFISH_AMT_TOKEN_UNAVAILABLE;
    if (user)
        *user = apr_pstrdup(r->pool, c.sub);
    if (session_id)
        *session_id = apr_pstrdup(r->pool, c.sid);
    return REDFISH_AMT_TOKEN_OK;
}
