/* Authentication and role mapping (see rf_auth.h, apache-idioms §3). */
#include "rf_auth.h"

#include <string.h>

#include "apr_base64.h"
#include "apr_strings.h"
#include "ap_provider.h"
#include "http_log.h"
#include "mod_auth.h"

#include "rf_browser_policy.h"
#include "rf_privileges.h"
#include "rf_session.h"
#include "rf_store.h"

APLOG_USE_MODULE(redfish_amt);

/* Failed logins slow down: after RF_FREE_FAILURES failures for a user name,
 * every attempt (right or wrong) waits 250 ms, doubling up to 4 s, until a
 * quiet period passes. Waiting before the check keeps guessing slow without
 * telling the attacker whether the guess was right. */
#define RF_FREE_FAILURES 3
#define RF_FAIL_FORGET apr_time_from_sec(900)
#define RF_MAX_DELAY apr_time_from_msec(4000)

static apr_interval_time_t login_delay(const char *user)
{
    apr_interval_time_t d = 0;
    unsigned n;
    apr_time_t now = apr_time_now();
    if (rf_store_lock() != 0)
        return RF_MAX_DELAY;
    n = rf_store_slots(RF_TABLE_LOGINFAIL);
    for (unsigned i = 0; i < n; i++) {
        rf_loginfail_slot *s = rf_store_slot(RF_TABLE_LOGINFAIL, i);
        if (s && s->failures && strcmp(s->user, user) == 0 && now - s->last < RF_FAIL_FORGET) {
            if (s->failures > RF_FREE_FAILURES) {
                int shift = s->failures - RF_FREE_FAILURES - 1;
                d = apr_time_from_msec(250) << (shift > 4 ? 4 : shift);
                if (d > RF_MAX_DELAY)
                    d = RF_MAX_DELAY;
            }
            break;
        }
    }
    rf_store_unlock();
    return d;
}

static void login_result(const char *user, int success)
{
    unsigned n;
    apr_time_t now = apr_time_now();
    rf_loginfail_slot *mine = NULL, *oldest = NULL;
    if (strlen(user) >= sizeof(mine->user) || rf_store_lock() != 0)
        return;
    n = rf_store_slots(RF_TABLE_LOGINFAIL);
    for (unsigned i = 0; i < n; i++) {
        rf_loginfail_slot *s = rf_store_slot(RF_TABLE_LOGINFAIL, i);
        if (!s)
            continue;
        if (s->failures && strcmp(s->user, user) == 0) {
            mine = s;
            break;
        }
        if (!oldest || s->last < oldest->last)
            oldest = s;
    }
    if (success) {
        if (mine)
            memset(mine, 0, sizeof(*mine));
    } else {
        if (!mine && oldest) {
            mine = oldest;
            memset(mine, 0, sizeof(*mine));
            strcpy(mine->user, user);
        }
        if (mine) {
            if (now - mine->last >= RF_FAIL_FORGET)
                mine->failures = 0;
            mine->failures++;
            mine->last = now;
        }
    }
    rf_store_unlock();
}

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

/* The most privileged role whose RedfishRole rule grants the user. */
static int role_of(rf_req *q, const char *user)
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
        if (p->check_authorization(r, rule->require_args, rule->parsed) == AUTHZ_GRANTED)
            best = rule->role;
        apr_table_unset(r->notes, AUTHZ_PROVIDER_NAME_NOTE);
    }
    r->user = saved_user;
    return best;
}

int rf_login_check(rf_req *q, const char *user, const char *password)
{
    apr_interval_time_t delay;
    authn_status st;
    int role;
    if (!*user || strlen(user) > 64 || strlen(password) > 1024 || strpbrk(user, ":\r\n"))
        return -1;
    delay = login_delay(user);
    if (delay)
        apr_sleep(delay);
    st = check_password(q, user, password);
    if (st == AUTH_GENERAL_ERROR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, "Redfish login: authn provider error");
        return -2;
    }
    if (st != AUTH_GRANTED) {
        login_result(user, 0);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r, "Redfish login failed for user '%s'",
                      ap_escape_logitem(q->r->pool, user));
        return -1;
    }
    role = role_of(q, user);
    if (role == RF_ROLE_NONE) {
        login_result(user, 0);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r,
                      "Redfish login refused: user '%s' has no Redfish role",
                      ap_escape_logitem(q->r->pool, user));
        return -1;
    }
    login_result(user, 1);
    return role;
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
        int rc = rf_session_by_token(token, &si);
        if (rc == RF_SESS_ERROR)
            return rf_unavailable(q, 1);
        if (rc != RF_SESS_OK)
            return rf_unauthorized(q);
        q->user = apr_pstrdup(r->pool, si.user);
        q->role = si.role;
        memcpy(q->session_id, si.id, sizeof(q->session_id));
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
        if (role == -2)
            return rf_unavailable(q, RF_AUTH_SOURCE_RETRY_S);
        if (role < 0)
            return rf_unauthorized(q);
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
