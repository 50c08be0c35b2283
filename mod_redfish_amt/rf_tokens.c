/* Redirection tokens: key, issuance and the relay's check (see rf_tokens.h). */
#include "rf_tokens.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"

#include <openssl/rand.h>

#include "amt_uuid.h"
#include "rf_config.h"
#include "rf_rate.h"
#include "rf_amt_map.h"
#include "rf_consent_owner.h"
#include "rf_consent_policy.h"
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

static rf_ledger_slot *ledger_slot(void *ctx, unsigned i)
{
    (void)ctx;
    return rf_store_slot(RF_TABLE_JTI, i);
}

static rf_ledger store_ledger(void)
{
    rf_ledger l = {ledger_slot, NULL, rf_store_slots(RF_TABLE_JTI)};
    return l;
}

unsigned rf_tokens_table_slots(server_rec *s)
{
    const rf_settings *main_cfg = &rf_sconf(s)->redfish;
    int lifetime = 0;
    /* RedfishTokenLifetime may differ per vhost: size for the longest. */
    for (server_rec *v = s; v; v = v->next) {
        int l = rf_cfg_token_lifetime(&rf_sconf(v)->redfish);
        if (l > lifetime)
            lifetime = l;
    }
    return rf_ledger_slots_needed((unsigned)rf_cfg_max_sessions(main_cfg),
                                  (unsigned)rf_cfg_tokens_session_min(main_cfg), (unsigned)lifetime);
}

/* Records jti for q's session and user if both are within quota. */
static int record_issue(rf_req *q, const char *jti, const char *user, apr_int64_t exp,
                        apr_int64_t now, int *retry_s)
{
    rf_token_quota quota;
    rf_ledger l;
    int rc;
    quota.session_per_min = (unsigned)rf_cfg_tokens_session_min(q->cfg);
    quota.session_unspent = (unsigned)rf_cfg_tokens_session_unspent(q->cfg);
    quota.user_per_min = (unsigned)rf_cfg_tokens_user_min(q->cfg);
    quota.user_unspent = (unsigned)rf_cfg_tokens_user_unspent(q->cfg);
    if (rf_store_lock() != 0)
        return RF_ISSUE_ERROR;
    l = store_ledger();
    rc = rf_ledger_issue(&l, jti, q->session_id, user, exp, now, &quota, retry_s);
    rf_store_unlock();
    if (rc == RF_LEDGER_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, q->r, "Redfish: token id recorded for %s",
                      ap_escape_logitem(q->r->pool, q->user));
        return RF_ISSUE_OK;
    }
    ap_log_rerror(APLOG_MARK, rc == RF_LEDGER_FULL ? APLOG_WARNING : APLOG_INFO, 0, q->r,
                  "Redfish: token refused to %s: %s (retry in %d s)",
                  ap_escape_logitem(q->r->pool, q->user),
                  rc == RF_LEDGER_SESSION_OVER ? "session over its token quota"
                  : rc == RF_LEDGER_USER_OVER  ? "user over its token quota"
                                               : "token table full",
                  *retry_s);
    return RF_ISSUE_QUOTA;
}

int rf_token_issue(rf_req *q, const char *system_id, const char *mode, char *out, size_t outlen,
                   apr_int64_t *exp, int *retry_s)
{
    rf_token_claims c;
    char folded[RF_RATE_KEY_LEN];
    apr_int64_t now = apr_time_sec(apr_time_now());
    int rc;
    *retry_s = 0;
    if (!token_key || !q->session_id[0])
        return RF_ISSUE_ERROR;
    memset(&c, 0, sizeof(c));
    snprintf(c.sys, sizeof(c.sys), "%s", system_id);
    snprintf(c.mode, sizeof(c.mode), "%s", mode);
    memcpy(c.sid, q->session_id, sizeof(c.sid));
    snprintf(c.sub, sizeof(c.sub), "%s", q->user);
    rf_vhost_issuer(q->r->server, c.iss);
    if (rf_random_hex(c.jti, 16) != 0 || rf_rate_key(folded, "", q->user) != 0)
        return RF_ISSUE_ERROR;
    c.iat = now;
    c.exp = now + rf_cfg_token_lifetime(q->cfg);
    *exp = c.exp;
    /* Recorded before it exists: the relay's check then only marks it spent, so
     * spending can never run out of room. */
    if ((rc = record_issue(q, c.jti, folded, c.exp, now, retry_s)) != RF_ISSUE_OK)
        return rc;
    return rf_token_sign(token_key, &c, out, outlen) > 0 ? RF_ISSUE_OK : RF_ISSUE_ERROR;
}

int rf_token_needs_redfish_consent(rf_req *q, const amt_device *d, const amt_state *st,
                                   rf_redir_mode mode)
{
    rf_consent_gate g = rf_consent_gate_for(
        st, mode, rf_cfg_kvm_consent_inband(q->cfg) ? RF_KVM_CONSENT_INBAND : RF_KVM_CONSENT_REDFISH,
        rf_cfg_sol_consent_amt(q->cfg) ? RF_SOL_CONSENT_AMT : RF_SOL_CONSENT_REQUIRED);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "Redfish: %s token for %s (OptInRequired %u, "
                  "OptInState %d): %s", mode == RF_MODE_KVM ? "KVM" : "SOL", d->system_id,
                  (unsigned)st->optin_required, (int)st->optin_state, rf_consent_gate_name(g));
    return g == RF_GATE_REDFISH;
}

/* Marks jti spent. 0 on first use, 1 when spent before or never issued here, -1
 * when the store is unavailable (refuse: fail closed). */
static int consume_jti(const char *jti, apr_int64_t now)
{
    rf_ledger l;
    int rc;
    if (rf_store_lock() != 0)
        return -1;
    l = store_ledger();
    rc = rf_ledger_spend(&l, jti, now);
    rf_store_unlock();
    return rc == RF_LEDGER_OK ? 0 : 1;
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
    if (rf_token_needs_redfish_consent(&q, d, &st, strcmp(mode, "kvm") == 0 ? RF_MODE_KVM : RF_MODE_SOL) &&
        (!rf_consent_granted(&st) ||
         rf_consent_owner_check(&q, d, c.sid, strcmp(mode, "kvm") == 0 ? RF_MODE_KVM : RF_MODE_SOL)
             != RF_OWNER_OK))
        return REDFISH_AMT_TOKEN_NO_CONSENT;

    /* Consume last: a refusal above must not burn the token. */
    rc = consume_jti(c.jti, now);
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
