/* The Redfish content handler: protocol checks, routing, 405/Allow, auth and
 * privileges, then one resource handler. */
#include "rf_router.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "rf_auth.h"
#include "rf_browser_policy.h"
#include "rf_handlers.h"
#include "rf_privileges.h"

APLOG_USE_MODULE(redfish_amt);

#define M(x) (AP_METHOD_BIT << (x))
#define PUBLIC 0u /* no privilege: served without authentication */

typedef struct route {
    const char *pattern;      /* '*' matches one path segment */
    apr_int64_t methods;      /* M(M_GET) | ... (HEAD follows GET) */
    unsigned priv_get, priv_post, priv_patch, priv_delete;
    int (*handler)(rf_req *q);
    int public_post;          /* POST without authentication (login) */
} route;

#define L RF_PRIV_LOGIN
#define CC RF_PRIV_CONFIGURE_COMPONENTS
#define CM RF_PRIV_CONFIGURE_MANAGER
#define CS RF_PRIV_CONFIGURE_SELF

static const route routes[] = {
    {"/redfish", M(M_GET), PUBLIC, 0, 0, 0, rf_h_redfish, 0},
    {"/redfish/v1", M(M_GET), PUBLIC, 0, 0, 0, rf_h_service_root, 0},
    {"/redfish/v1/odata", M(M_GET), PUBLIC, 0, 0, 0, rf_h_odata, 0},
    {"/redfish/v1/$metadata", M(M_GET), PUBLIC, 0, 0, 0, rf_h_metadata, 0},
    {"/redfish/v1/schemas/IntelComputerSystem_v1.xml", M(M_GET), PUBLIC, 0, 0, 0, rf_h_oem_csdl, 0},
    {"/redfish/v1/SessionService", M(M_GET) | M(M_PATCH), L, 0, CM, 0, rf_h_session_service, 0},
    {"/redfish/v1/SessionService/Sessions", M(M_GET) | M(M_POST), L, 0, 0, 0, rf_h_sessions, 1},
    /* ConfigureSelf covers one's own session; rf_h_session checks ownership. */
    {"/redfish/v1/SessionService/Sessions/*", M(M_GET) | M(M_DELETE), CS, 0, 0, CS, rf_h_session, 0},
    {"/redfish/v1/AccountService", M(M_GET), L, 0, 0, 0, rf_h_account_service, 0},
    {"/redfish/v1/AccountService/Roles", M(M_GET), L, 0, 0, 0, rf_h_roles, 0},
    {"/redfish/v1/AccountService/Roles/*", M(M_GET), L, 0, 0, 0, rf_h_role, 0},
    {"/redfish/v1/Systems", M(M_GET), L, 0, 0, 0, rf_h_systems, 0},
    {"/redfish/v1/Systems/*", M(M_GET) | M(M_PATCH), L, 0, CC, 0, rf_h_system, 0},
    {"/redfish/v1/Systems/*/Actions/ComputerSystem.Reset", M(M_POST), 0, CC, 0, 0, rf_h_reset, 0},
    {"/redfish/v1/Systems/*/Actions/Oem/*", M(M_POST), 0, CC, 0, 0, rf_h_oem_action, 0},
    {"/redfish/v1/Managers", M(M_GET), L, 0, 0, 0, rf_h_managers, 0},
    {"/redfish/v1/Managers/*", M(M_GET), L, 0, 0, 0, rf_h_manager, 0},
    {NULL, 0, 0, 0, 0, 0, NULL, 0}};

/* Matches path against pattern, capturing '*' segments into q->params. */
static int match(rf_req *q, const char *pattern, const char *path)
{
    int n = 0;
    while (*pattern && *path) {
        if (*pattern == '*') {
            size_t len = strcspn(path, "/");
            if (len == 0 || n >= RF_MAX_PARAMS)
                return 0;
            q->params[n++] = apr_pstrmemdup(q->r->pool, path, len);
            path += len;
            pattern++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static const char *allow_header(apr_pool_t *p, apr_int64_t methods)
{
    const char *a = "";
    if (methods & M(M_GET))
        a = "GET, HEAD";
    if (methods & M(M_POST))
        a = apr_pstrcat(p, a, *a ? ", " : "", "POST", NULL);
    if (methods & M(M_PATCH))
        a = apr_pstrcat(p, a, *a ? ", " : "", "PATCH", NULL);
    if (methods & M(M_DELETE))
        a = apr_pstrcat(p, a, *a ? ", " : "", "DELETE", NULL);
    return a;
}

static unsigned needed(const route *rt, int method)
{
    switch (method) {
    case M_GET: return rt->priv_get;
    case M_POST: return rt->priv_post;
    case M_PATCH: return rt->priv_patch;
    case M_DELETE: return rt->priv_delete;
    }
    return ~0u;
}

/* HTTP Basic is the one credential a browser attaches by itself to a request
 * another site's page makes: an unsafe method carrying it must come from our
 * own origin (X-Auth-Token needs script access to our origin, so it cannot be
 * forged this way). Checked before the password, so a forged request also
 * costs no login attempt. */
static int refuse_cross_site_basic(rf_req *q, int method)
{
    request_rec *r = q->r;
    const char *auth = apr_table_get(r->headers_in, "Authorization");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    if (method == M_GET || apr_table_get(r->headers_in, "X-Auth-Token") || !auth ||
        strncasecmp(auth, "Basic ", 6) != 0)
        return OK;
    if (!rf_cross_site_request(origin, apr_table_get(r->headers_in, "Sec-Fetch-Site"),
                               rf_external_origin(q, 0)))
        return OK;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "Redfish: cross-site %s with HTTP Basic refused (Origin %s, own origin %s)",
                  r->method, origin ? ap_escape_logitem(r->pool, origin) : "absent",
                  rf_external_origin(q, 0));
    return rf_error(q, HTTP_FORBIDDEN, "AccessDenied", r->uri);
}

static int dispatch(request_rec *r)
{
    rf_req q;
    const route *rt;
    const char *odata;
    char *path;
    size_t len;
    int method, rc;

    rf_req_init(&q, r);
    method = r->method_number;

    odata = apr_table_get(r->headers_in, "OData-Version");
    if (odata && strcmp(odata, "4.0") != 0)
        return rf_error(&q, HTTP_PRECONDITION_FAILED, "HeaderInvalid",
                        apr_psprintf(r->pool, "OData-Version: %.16s", odata));

    /* One canonical form: "/redfish/v1/" and "/redfish/v1" are the same resource. */
    path = apr_pstrdup(r->pool, r->uri);
    len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    q.path = path;

    for (rt = routes; rt->pattern; rt++) {
        memset(q.params, 0, sizeof(q.params));
        if (match(&q, rt->pattern, path))
            break;
    }
    if (!rt->pattern)
        return rf_error(&q, HTTP_NOT_FOUND, "ResourceMissingAtURI",
                        ap_escape_html(r->pool, r->uri));
    if (!(rt->methods & M(method))) {
        apr_table_setn(r->headers_out, "Allow", allow_header(r->pool, rt->methods));
        return rf_error(&q, HTTP_METHOD_NOT_ALLOWED, "OperationNotAllowed");
    }
    /* Bodies or not: no unsafe request gets in without saying JSON (rf_http.h). */
    if ((method == M_POST || method == M_PATCH) && (rc = rf_require_json_content_type(&q)) != OK)
        return rc;
    if (needed(rt, method) != PUBLIC && !(method == M_POST && rt->public_post)) {
        unsigned need = needed(rt, method);
        if ((rc = refuse_cross_site_basic(&q, method)) != OK)
            return rc;
        if ((rc = rf_authenticate(&q)) != OK)
            return rc;
        if ((q.privs & need) != need) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "Redfish: user %s (%s) lacks %s for %s %s",
                          q.user, rf_role_name(q.role),
                          rf_privilege_name(need) ? rf_privilege_name(need) : "privileges",
                          r->method, ap_escape_logitem(r->pool, path));
            return rf_error(&q, HTTP_FORBIDDEN, "InsufficientPrivilege");
        }
    }
    return rt->handler(&q);
}

int rf_handler(request_rec *r)
{
    int rc;
    if (!r->handler || strcmp(r->handler, RF_HANDLER_NAME) != 0)
        return DECLINED;
    rc = dispatch(r);
    return rc == DONE ? OK : rc; /* DONE: a Redfish error response was already sent */
}
