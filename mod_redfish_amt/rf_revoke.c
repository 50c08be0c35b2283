/* Revocation: scope of sessions and tokens, re-asking the providers about a user,
 * and the check of a live relay stream (see rf_revoke.h, docs/security-model.md). */
#include "rf_revoke.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_request.h"

#include <openssl/evp.h>

#include "amt_relay_api.h"
#include "rf_actions.h"
#include "rf_auth.h"
#include "rf_patch.h"
#include "rf_privileges.h"

APLOG_USE_MODULE(redfish_amt);

/* Any path of the Redfish service: its <Location> holds the providers' config. */
#define RF_SERVICE_PATH "/redfish/v1/SessionService"

static void digest_str(EVP_MD_CTX *md, const char *s)
{
    /* length-prefixed, so that ("ab","c") and ("a","bc") differ */
    apr_size_t n = s ? strlen(s) : 0;
    EVP_DigestUpdate(md, &n, sizeof(n));
    if (n)
        EVP_DigestUpdate(md, s, n);
}

/* What tells one virtual host from another: where it is defined (file and line,
 * stable across restarts of the same configuration), its name and port. */
static void digest_vhost(EVP_MD_CTX *md, server_rec *s)
{
    digest_str(md, s->defn_name);
    EVP_DigestUpdate(md, &s->defn_line_number, sizeof(s->defn_line_number));
    digest_str(md, s->server_hostname);
    EVP_DigestUpdate(md, &s->port, sizeof(s->port));
    EVP_DigestUpdate(md, &s->is_virtual, sizeof(s->is_virtual));
}

void rf_vhost_issuer(server_rec *s, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    memset(h, 0, sizeof(h));
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        digest_str(md, "issuer");
        digest_vhost(md, s);
        EVP_DigestFinal_ex(md, h, &n);
    }
    EVP_MD_CTX_free(md);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[32] = '\0';
}

void rf_scope_of(const rf_req *q, unsigned char out[RF_SCOPE_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    memset(out, 0, RF_SCOPE_LEN);
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return;
    }
    digest_str(md, "scope");
    digest_vhost(md, q->r->server);
    for (int i = 0; q->dconf && i < q->dconf->authn->nelts; i++)
        digest_str(md, APR_ARRAY_IDX(q->dconf->authn, i, rf_authn_entry).name);
    digest_str(md, "roles");
    for (int i = 0; q->dconf && i < q->dconf->roles->nelts; i++) {
        const rf_role_rule *rule = &APR_ARRAY_IDX(q->dconf->roles, i, rf_role_rule);
        EVP_DigestUpdate(md, &rule->role, sizeof(rule->role));
        digest_str(md, rule->provider_name);
        digest_str(md, rule->require_args);
    }
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}

/* Asks the providers about the session's user now. Returns the session state:
 * LIVE (confirmed, table updated), USER_REVOKED (session deleted) or UNKNOWN. */
static redfish_amt_session_state ask_providers(rf_req *q, const char *session_id,
                                               const char *user, int role)
{
    int now_role = rf_user_current_role(q, user);
    if (now_role == -2) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "Redfish recheck of '%s': the providers "
                      "cannot answer now; the session goes on", ap_escape_logitem(q->r->pool, user));
        return REDFISH_AMT_SESSION_UNKNOWN;
    }
    /* a lower role than the session was made with (a larger number) ends it too:
       the user logs in again and gets what they have now */
    if (now_role == RF_ROLE_NONE || now_role > role) {
        rf_session_delete(session_id);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r, "Redfish session %.8s... of '%s' ended: "
                      "the user %s", session_id, ap_escape_logitem(q->r->pool, user),
                      now_role == RF_ROLE_NONE ? "is gone or has no Redfish role any more"
                                               : "lost the role the session was made with");
        return REDFISH_AMT_SESSION_USER_REVOKED;
    }
    rf_session_user_confirmed(session_id);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "Redfish recheck: '%s' still has %s",
                  ap_escape_logitem(q->r->pool, user), rf_role_name(now_role));
    return REDFISH_AMT_SESSION_LIVE;
}

int rf_revoke_recheck(rf_req *q, apr_time_t user_checked, int force)
{
    apr_time_t due = user_checked + apr_time_from_sec(rf_cfg_user_recheck(q->cfg));
    if (!q->session_id[0] || (!force && apr_time_now() < due))
        return OK;
    switch (ask_providers(q, q->session_id, q->user, q->role)) {
    case REDFISH_AMT_SESSION_LIVE:
        return OK;
    case REDFISH_AMT_SESSION_UNKNOWN:
        /* on a token issuance, fail closed; an ordinary request goes on */
        return force ? rf_unavailable(q, RF_AUTH_SOURCE_RETRY_S) : OK;
    default:
        return rf_unauthorized(q);
    }
}

redfish_amt_session_state rf_revoke_stream_session(request_rec *r, const char *session_id,
                                                   apr_time_t *recheck_at)
{
    rf_session_info si;
    apr_time_t until = 0, checked = 0, now = apr_time_now(), next_user;
    redfish_amt_session_state st = REDFISH_AMT_SESSION_LIVE;
    int interval, rc;
    rf_req q;

    *recheck_at = now + apr_time_from_sec(1);
    rc = rf_session_status(session_id, &until, &checked, &si);
    if (rc == RF_SESS_ERROR)
        return REDFISH_AMT_SESSION_UNKNOWN;
    if (rc != RF_SESS_OK)
        return REDFISH_AMT_SESSION_ENDED;
    rf_req_init(&q, r);
    interval = rf_cfg_user_recheck(q.cfg);
    next_user = checked + apr_time_from_sec(interval);
    if (now >= next_user) {
        /* the providers read their directives from the Redfish <Location> of this
           virtual host: a lookup (no handler runs) gives its configuration */
        request_rec *sub = ap_sub_req_lookup_uri(RF_SERVICE_PATH, r, NULL);
        rf_req_init(&q, sub);
        st = ask_providers(&q, session_id, si.user, si.role);
        ap_destroy_sub_req(sub);
        next_user = now + apr_time_from_sec(interval);
    }
    if (st == REDFISH_AMT_SESSION_LIVE)
        *recheck_at = until && until < next_user ? until : next_user;
    return st;
}

int rf_revoke_end_streams_action(rf_req *q, const amt_device *d, json_t *body)
{
    static const char *const params[] = {"Mode", NULL};
    const char *action = "IntelComputerSystem.EndRedirectionSessions";
    APR_OPTIONAL_FN_TYPE(amt_relay_end_streams) *end_streams =
        APR_RETRIEVE_OPTIONAL_FN(amt_relay_end_streams);
    json_t *jm = json_object_get(body, "Mode");
    const char *mode = NULL;
    int rc, n;

    /* anyone's streams: what an Administrator (ConfigureManager) may do, like
       deleting anyone's session */
    if (!(q->privs & RF_PRIV_CONFIGURE_MANAGER))
        return rf_error(q, HTTP_FORBIDDEN, "InsufficientPrivilege");
    if ((rc = rf_action_params_only(q, body, action, params)) != OK)
        return rc;
    if (jm && !json_is_string(jm))
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueTypeError", rf_json_text(q, jm),
                        "Mode", action);
    if (jm && strcmp(json_string_value(jm), "KVM") == 0)
        mode = "kvm";
    else if (jm && strcmp(json_string_value(jm), "SOL") == 0)
        mode = "sol";
    else if (jm)
        return rf_error(q, HTTP_BAD_REQUEST, "ActionParameterValueNotInList", rf_json_text(q, jm),
                        "Mode", action);
    n = end_streams ? end_streams(d->system_id, mode) : 0; /* no relay: no streams */
    if (n < 0)
        return rf_unavailable(q, 1);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r, "Redfish: %s ended %d %s stream(s) of %s",
                  ap_escape_logitem(q->r->pool, q->user), n, mode ? mode : "KVM/SOL", d->system_id);
    return rf_success(q);
}
