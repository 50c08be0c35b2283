/* SessionService, the Sessions collection and single sessions. */
#include "rf_handlers.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include <openssl/crypto.h>

#include "rf_auth.h"
#include "rf_patch.h"
#include "rf_privileges.h"
#include "rf_revoke.h"
#include "rf_session.h"

APLOG_USE_MODULE(redfish_amt);

#define SESSIONS "/redfish/v1/SessionService/Sessions"

static json_t *session_service(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:b, s:{s:s}, s:{s:s, s:s}}",
                     "@odata.id", "/redfish/v1/SessionService", "@odata.type",
                     "#SessionService.v1_2_0.SessionService", "Id", "SessionService", "Name",
                     "Session Service", "ServiceEnabled", 1, "SessionTimeout",
                     rf_session_timeout_get(), "AbsoluteSessionTimeout", rf_session_absolute_get(),
                     "AbsoluteSessionTimeoutEnabled", 1, "Sessions", "@odata.id", SESSIONS,
                     "Status", "State", "Enabled", "Health", "OK");
}

/* One writable integer of SessionService (SessionTimeout, AbsoluteSessionTimeout):
 * its value into *out, or a message into msgs. */
static void patch_seconds(rf_req *q, json_t *msgs, const char *key, json_t *v, json_int_t *out)
{
    const char *ptr = apr_psprintf(q->r->pool, "#/%s", key);
    if (!json_is_integer(v))
        json_array_append_new(msgs, rf_msg(ptr, "PropertyValueTypeError", rf_json_text(q, v), key));
    else if (json_integer_value(v) < RF_MIN_SESSION_TIMEOUT ||
             json_integer_value(v) > RF_MAX_SESSION_TIMEOUT)
        json_array_append_new(msgs, rf_msg(ptr, "PropertyValueOutOfRange", rf_json_text(q, v), key));
    else
        *out = json_integer_value(v);
}

int rf_h_session_service(rf_req *q)
{
    json_t *body, *msgs;
    json_int_t timeout = -1, absolute = -1;
    int rc;

    if (q->r->method_number == M_GET)
        return rf_send_json(q, HTTP_OK, session_service(), 1);

    /* PATCH: SessionTimeout and AbsoluteSessionTimeout are writable (the absolute
       lifetime cannot be switched off: AbsoluteSessionTimeoutEnabled stays true);
       validate everything first. */
    if ((rc = rf_read_json_object(q, &body)) != OK)
        return rc;
    if ((rc = rf_check_if_match(q, session_service())) != OK)
        return rc;
    msgs = json_array();
    {
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v) {
            if (strcmp(key, "SessionTimeout") == 0) {
                patch_seconds(q, msgs, key, v, &timeout);
            } else if (strcmp(key, "AbsoluteSessionTimeout") == 0) {
                patch_seconds(q, msgs, key, v, &absolute);
            } else {
                json_t *cur = session_service();
                rf_patch_reject(q, msgs, key, json_object_get(cur, key) != NULL);
                json_decref(cur);
            }
        }
    }
    if (json_array_size(msgs))
        return rf_send_errors(q, HTTP_BAD_REQUEST, msgs);
    json_decref(msgs);
    if (timeout < 0 && absolute < 0)
        return rf_error(q, HTTP_BAD_REQUEST, "NoOperation");
    if ((timeout >= 0 && rf_session_timeout_set((int)timeout) != RF_SESS_OK) ||
        (absolute >= 0 && rf_session_absolute_set((int)absolute) != RF_SESS_OK))
        return rf_unavailable(q, 1);
    if (absolute >= 0)
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish AbsoluteSessionTimeout set to %d s by %s",
                      (int)absolute, ap_escape_logitem(q->r->pool, q->user));
    return rf_send_json(q, HTTP_OK, session_service(), 1);
}

static json_t *session_json(rf_req *q, const rf_session_info *si)
{
    apr_time_exp_t t;
    char iso[64];
    json_t *o;
    apr_time_exp_gmt(&t, si->created);
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d+00:00", t.tm_year + 1900,
             t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "@odata.id",
                  apr_psprintf(q->r->pool, SESSIONS "/%s", si->id), "@odata.type",
                  "#Session.v1_8_0.Session", "Id", si->id, "Name", "User Session", "UserName",
                  si->user, "SessionType", "Redfish", "CreatedTime", iso);
    if (o && si->origin[0])
        json_object_set_new(o, "ClientOriginIPAddress", json_string(si->origin));
    return o;
}

static int may_see(const rf_req *q, const rf_session_info *si)
{
    return (q->privs & RF_PRIV_CONFIGURE_MANAGER) || strcmp(si->user, q->user) == 0;
}

static int list_sessions(rf_req *q)
{
    apr_array_header_t *all;
    json_t *members = json_array();
    if (rf_session_list(q->r->pool, &all) != RF_SESS_OK) {
        json_decref(members);
        return rf_unavailable(q, 1);
    }
    /* Without ConfigureManager a user sees only their own sessions. */
    for (int i = 0; i < all->nelts; i++) {
        const rf_session_info *si = &APR_ARRAY_IDX(all, i, rf_session_info);
        if (may_see(q, si))
            json_array_append_new(members, json_pack("{s:s}", "@odata.id",
                                                     apr_psprintf(q->r->pool, SESSIONS "/%s", si->id)));
    }
    return rf_send_json(q, HTTP_OK,
                        json_pack("{s:s, s:s, s:s, s:I, s:o}", "@odata.id", SESSIONS, "@odata.type",
                                  "#SessionCollection.SessionCollection", "Name", "Sessions",
                                  "Members@odata.count", (json_int_t)json_array_size(members),
                                  "Members", members),
                        1);
}

static int login(rf_req *q)
{
    json_t *body, *juser, *jpass, *msgs;
    const char *key;
    json_t *v;
    rf_session_info si;
    char token[RF_SESSION_TOKEN_LEN + 1], evicted[33];
    char *password;
    int rc, role;

    /* The password crosses the wire here, as it does with every Basic request:
     * the same rule, with its own opt-in for plain-HTTP deployments. */
    if (!rf_secure_transport(q) && q->cfg->allow_login_http != 2) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r,
                      "Redfish: login refused over plain HTTP (RedfishAllowLoginOverHTTP off)");
        return rf_error(q, HTTP_FORBIDDEN, "AccessDenied", q->r->uri);
    }
    if ((rc = rf_read_json_object(q, &body)) != OK)
        return rc;
    juser = json_object_get(body, "UserName");
    jpass = json_object_get(body, "Password");
    msgs = json_array();
    json_object_foreach(body, key, v) {
        if (strcmp(key, "UserName") && strcmp(key, "Password") && strcmp(key, "Context"))
            json_array_append_new(msgs, rf_msg(apr_psprintf(q->r->pool, "#/%s", key),
                                               "PropertyUnknown", key));
    }
    if (!juser)
        json_array_append_new(msgs, rf_msg("#/UserName", "PropertyMissing", "UserName"));
    else if (!json_is_string(juser))
        json_array_append_new(msgs, rf_msg("#/UserName", "PropertyValueTypeError",
                                           rf_json_text(q, juser), "UserName"));
    if (!jpass)
        json_array_append_new(msgs, rf_msg("#/Password", "PropertyMissing", "Password"));
    else if (!json_is_string(jpass)) /* never echo anything of a password */
        json_array_append_new(msgs, rf_msg("#/Password", "PropertyValueTypeError", "(hidden)",
                                           "Password"));
    if (json_array_size(msgs))
        return rf_send_errors(q, HTTP_BAD_REQUEST, msgs);
    json_decref(msgs);

    password = apr_pstrdup(q->r->pool, json_string_value(jpass));
    role = rf_login_check(q, json_string_value(juser), password);
    OPENSSL_cleanse(password, strlen(password));
    if (role < 0)
        return rf_login_refused(q, role);
    rc = rf_session_create_ex(json_string_value(juser), role, q->r->useragent_ip,
                              rf_cfg_max_sessions(q->cfg), &si, token, evicted);
    if (rc == RF_SESS_FULL) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish login of %s (%s): no session slot "
                      "left%s", ap_escape_logitem(q->r->pool, json_string_value(juser)),
                      rf_role_name(role), role == RF_ROLE_ADMINISTRATOR ? "" :
                      " outside the Administrators' reserve");
        return rf_error(q, HTTP_SERVICE_UNAVAILABLE, "SessionLimitExceeded");
    }
    if (rc == RF_SESS_OK) {
        /* valid only on this virtual host and auth configuration (M7) */
        unsigned char scope[RF_SCOPE_LEN];
        rf_scope_of(q, scope);
        rc = rf_session_set_scope(si.id, scope);
    }
    if (rc != RF_SESS_OK) {
        OPENSSL_cleanse(token, sizeof(token));
        return rf_unavailable(q, 1);
    }
    if (evicted[0])
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish session %.8s... of %s ended: the "
                      "user is at RedfishSessionsPerUser", evicted,
                      ap_escape_logitem(q->r->pool, si.user));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish session %.8s... created for %s (%s)",
                  si.id, ap_escape_logitem(q->r->pool, si.user), rf_role_name(role));
    apr_table_setn(q->r->headers_out, "X-Auth-Token", apr_pstrdup(q->r->pool, token));
    OPENSSL_cleanse(token, sizeof(token));
    apr_table_setn(q->r->headers_out, "Location", apr_psprintf(q->r->pool, SESSIONS "/%s", si.id));
    apr_table_setn(q->r->headers_out, "Cache-Control", "no-store");
    q->user = json_string_value(juser);
    return rf_send_json(q, HTTP_CREATED, session_json(q, &si), 0);
}

int rf_h_sessions(rf_req *q)
{
    if (q->r->method_number == M_POST)
        return login(q);
    return list_sessions(q);
}

int rf_h_session(rf_req *q)
{
    rf_session_info si;
    const char *id = q->params[0];
    int rc = rf_session_by_id(id, &si);
    if (rc == RF_SESS_ERROR)
        return rf_unavailable(q, 1);
    /* Someone else's session is reported as missing unless you may manage it:
     * its id is nobody else's business. */
    if (rc != RF_SESS_OK || !may_see(q, &si))
        return rf_error(q, HTTP_NOT_FOUND, "ResourceNotFound", "Session", id);
    if (q->r->method_number == M_GET)
        return rf_send_json(q, HTTP_OK, session_json(q, &si), 1);
    if (rf_session_delete(id) != RF_SESS_OK)
        return rf_error(q, HTTP_NOT_FOUND, "ResourceNotFound", "Session", id);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish session %.8s... of %s deleted by %s",
                  si.id, ap_escape_logitem(q->r->pool, si.user),
                  ap_escape_logitem(q->r->pool, q->user));
    return rf_success(q);
}
