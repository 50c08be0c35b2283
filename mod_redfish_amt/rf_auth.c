/* Authentication and role mapping (see rf_auth.h). */
#include "rf_auth.h"

#include <stdlib.h>
#include <string.h>

#include "apr_base64.h"
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_log.h"
#include "mod_auth.h"

#include "rf_browser_policy.h"
#include "rf_privileges.h"
#include "rf_revoke.h"
#include "rf_session.h"
#include "rf_store.h"
#include "rf_throttle.h"
#include "rf_token.h"

APLOG_USE_MODULE(redfish_amt);

static authn_status check_password(rf_req *q, const char *user, const char *password)
{
    request_rec *r = q->r;
    authn_status st = AUTH_USER_NOT_FOUND;
    const apr_array_header_t *list = q->dconf->authn;
    if (list->nelts == 0) { /* like mod_auth_basic: the file provider by default */
        const authn_provider *p =
            ap_lookup_provider(AUTHN_PROVIDER_GROUP, AUTHN_DEFAULT_PROVIDER, AUTHN_PROVIDER_VERSION);
        if (!p)
            return AUTH_GENERAL_ERROR;
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, AUTHN_DEFAULT_PROVIDER);
        st = p->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        return st;
    }
    for (int i = 0; i < list->nelts; i++) {
        const rf_authn_entry *e = &APR_ARRAY_IDX(list, i, rf_authn_entry);
        const authn_provider *p = e->provider;
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, e->name);
        st = p->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (st != AUTH_USER_NOT_FOUND)
            break;
    }
    return st;
}

/* The most privileged role whose RedfishRole rule grants the user. *failed (may
 * be NULL) is set when a provider could not answer (directory down...). */
static int role_of(rf_req *q, const char *user, int *failed)
{
    request_rec *r = q->r;
    const apr_array_header_t *rules = q->dconf->roles;
    char *saved_user = r->user;
    int best = RF_ROLE_NONE;
    r->user = apr_pstrdup(r->pool, user);
    for (int i = 0; i < rules->nelts; i++) {
        const rf_role_rule *rule = &APR_ARRAY_IDX(rules, i, rf_role_rule);
        const authz_provider *p = rule->provider;
        if (best != RF_ROLE_NONE && rule->role >= best)
            continue;
        apr_table_setn(r->notes, AUTHZ_PROVIDER_NAME_NOTE, rule->provider_name);
        switch (p->check_authorization(r, rule->require_args, rule->parsed)) {
        case AUTHZ_GRANTED:
            best = rule->role;
            break;
        case AUTHZ_GENERAL_ERROR:
            if (failed)
                *failed = 1;
            break;
        default:
            break;
        }
        apr_table_unset(r->notes, AUTHZ_PROVIDER_NAME_NOTE);
    }
    r->user = saved_user;
    return best;
}

int rf_login_check(rf_req *q, const char *user, const char *password)
{
    rf_login_ticket ticket;
    authn_status st;
    int role, retry;
    if (!*user || strlen(user) > 64 || strlen(password) > 1024 || strpbrk(user, ":\r\n"))
        return RF_LOGIN_BAD;
    switch (rf_login_admit(q, user, &ticket, &retry)) {
    case RF_THROTTLE_OVER:
        apr_table_setn(q->r->notes, RF_RETRY_NOTE, apr_itoa(q->r->pool, retry));
        return RF_LOGIN_THROTTLED;
    case RF_THROTTLE_BUSY:
        apr_table_setn(q->r->notes, RF_RETRY_NOTE, apr_itoa(q->r->pool, retry));
        return RF_LOGIN_BUSY;
    }
    st = check_password(q, user, password);
    if (st == AUTH_GENERAL_ERROR) {
        rf_login_done(q, &ticket, 1); /* the source failed, not the user */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, "Redfish login: authn provider error");
        return RF_LOGIN_ERROR;
    }
    if (st != AUTH_GRANTED) {
        rf_login_done(q, &ticket, 0);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r, "Redfish login failed for user '%s'",
                      ap_escape_logitem(q->r->pool, user));
        return RF_LOGIN_BAD;
    }
    role = role_of(q, user, NULL);
    if (role == RF_ROLE_NONE) {
        rf_login_done(q, &ticket, 0);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r,
                      "Redfish login refused: user '%s' has no Redfish role",
                      ap_escape_logitem(q->r->pool, user));
        return RF_LOGIN_BAD;
    }
    rf_login_done(q, &ticket, 1);
    return role;
}

int rf_login_refused(rf_req *q, int rc)
{
    const char *retry = apr_table_get(q->r->notes, RF_RETRY_NOTE);
    switch (rc) {
    case RF_LOGIN_ERROR:
        return rf_unavailable(q, RF_AUTH_SOURCE_RETRY_S);
    case RF_LOGIN_THROTTLED:
        return rf_too_many(q, retry ? atoi(retry) : 1);
    case RF_LOGIN_BUSY:
        return rf_unavailable(q, retry ? atoi(retry) : 1);
    default:
        return rf_unauthorized(q);
    }
}

int rf_unauthorized(rf_req *q)
{
    /* A browser shows its own Basic-auth dialog on any 401 that carries a Basic
     * challenge, even for script requests: leave the challenge out when the
     * request says it comes from a script (as bmcweb does), keep it for
     * everyone else (redfishtool, curl --anyauth... rely on it). */
    const char *xrw = apr_table_get(q->r->headers_in, "X-Requested-With");
    /* Nor to a browser navigating to the API (Accept: text/html): a password
     * typed into that dialog is cached and sent by the browser on its own,
     * which is what cross-site forgery feeds on (docs/security-browsers.md). */
    if (rf_browser_navigation(apr_table_get(q->r->headers_in, "Accept")))
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "Redfish: no Basic challenge to a browser page load");
    else if (!xrw || strcasecmp(xrw, "XMLHttpRequest") != 0)
        apr_table_setn(q->r->err_headers_out, "WWW-Authenticate", "Basic realm=\"Redfish\"");
    return rf_error(q, HTTP_UNAUTHORIZED, "NoValidSession");
}

int rf_authenticate(rf_req *q)
{
    request_rec *r = q->r;
    const char *token = apr_table_get(r->headers_in, "X-Auth-Token");
    const char *auth = apr_table_get(r->headers_in, "Authorization");
    rf_session_info si;

    if (token) {
        unsigned char scope[RF_SCOPE_LEN];
        int rc;
        rf_scope_of(q, scope); /* a session is valid only where it was made (M7) */
        rc = rf_session_by_token_in(token, scope, &si);
        if (rc == RF_SESS_ERROR)
            return rf_unavailable(q, 1);
        if (rc != RF_SESS_OK)
            return rf_unauthorized(q);
        q->user = apr_pstrdup(r->pool, si.user);
        q->role = si.role;
        memcpy(q->session_id, si.id, sizeof(q->session_id));
        if ((rc = rf_revoke_recheck(q, si.user_checked, 0)) != OK)
            return rc;
    } else if (auth && strncasecmp(auth, "Basic ", 6) == 0) {
        const char *b64 = auth + 6;
        char *decoded, *colon;
        int len, role;
        if (!rf_secure_transport(q) && q->cfg->allow_basic_http != 2) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "Redfish: HTTP Basic refused over plain HTTP (RedfishAllowBasicOverHTTP off)");
            return rf_error(q, HTTP_FORBIDDEN, "AccessDenied", r->uri);
        }
        while (*b64 == ' ')
            b64++;
        if (strlen(b64) > 2048)
            return rf_unauthorized(q);
        decoded = apr_palloc(r->pool, apr_base64_decode_len(b64) + 1);
        len = apr_base64_decode(decoded, b64);
        decoded[len] = '\0';
        colon = strchr(decoded, ':');
        if (!colon || (int)strlen(decoded) != len)
            return rf_unauthorized(q);
        *colon = '\0';
        role = rf_login_check(q, decoded, colon + 1);
        memset(colon + 1, 0, strlen(colon + 1));
        if (role < 0)
            return rf_login_refused(q, role);
        q->user = decoded;
        q->role = role;
        q->session_id[0] = '\0';
    } else {
        return rf_unauthorized(q);
    }
    q->privs = rf_role_privileges(q->role);
    r->user = (char *)q->user; /* for the access log */
    return OK;
}

/* Does any file-like provider still list user? A password no one can have makes
 * mod_authn_file/dbm answer AUTH_USER_NOT_FOUND for an unknown user and
 * AUTH_DENIED for a known one. Only those two are asked: a failed bind against a
 * directory could count towards its lockout policy (LDAP users lose access through
 * their role rules instead). 1 known / not askable, 0 gone, -1 provider error. */
static int user_still_listed(rf_req *q, const char *user)
{
    request_rec *r = q->r;
    const apr_array_header_t *list = q->dconf->authn;
    char impossible[49];
    int asked = 0, found = 0;
    if (rf_random_hex(impossible, 24) != 0)
        return -1;
    for (int i = 0; i < (list->nelts ? list->nelts : 1); i++) {
        const char *name = list->nelts ? APR_ARRAY_IDX(list, i, rf_authn_entry).name
                                       : AUTHN_DEFAULT_PROVIDER;
        const authn_provider *p = list->nelts ? APR_ARRAY_IDX(list, i, rf_authn_entry).provider
            : ap_lookup_provider(AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
        authn_status st;
        if (!p || (strcmp(name, "file") && strcmp(name, "dbm")))
            return 1;
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, name);
        st = p->check_password(r, user, impossible);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        asked++;
        if (st == AUTH_GENERAL_ERROR)
            return -1;
        if (st != AUTH_USER_NOT_FOUND)
            found = 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "Redfish recheck: user '%s' %s in %d provider(s)",
                  ap_escape_logitem(r->pool, user), found ? "still listed" : "no longer listed", asked);
    return found;
}

int rf_user_current_role(rf_req *q, const char *user)
{
    int listed = user_still_listed(q, user), failed = 0, role;
    if (listed < 0)
        return -2;
    if (!listed)
        return RF_ROLE_NONE;
    role = role_of(q, user, &failed);
    return role == RF_ROLE_NONE && failed ? -2 : role;
}
