/* RedfishConsoleHeaders on: the web console's browser-hardening headers, set by
 * this module so that they do not depend on mod_headers being loaded (a
 * missing module would otherwise drop them silently). The policy is the
 * console's own: it loads scripts and styles only from this origin, talks only
 * to this origin (https/wss), and may not be framed. docs/security-browsers.md. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "rf_config.h"
#include "rf_handlers.h"

APLOG_USE_MODULE(redfish_amt);

static const struct { const char *name, *value; } console_headers[] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
     "base-uri 'none'; form-action 'self'"},
    /* for browsers that predate frame-ancestors */
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    /* the console's files change with every update of this tree */
    {"Cache-Control", "no-cache"},
};

/* err_headers_out: sent with every response, errors and 304s included. */
static void set_console_headers(request_rec *r)
{
    const rf_dir_conf *d = ap_get_module_config(r->per_dir_config, &redfish_amt_module);
    /* a subrequest's headers are merged into its parent's by mod_dir's fast
       redirect: the parent sets them once */
    if (!d || d->console_headers != 2 || r->main)
        return;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r, "Redfish: console headers on %s", r->uri);
    for (size_t i = 0; i < sizeof(console_headers) / sizeof(console_headers[0]); i++)
        apr_table_setn(r->err_headers_out, console_headers[i].name, console_headers[i].value);
}

static int rf_console_fixups(request_rec *r)
{
    set_console_headers(r);
    return DECLINED;
}

void rf_console_headers_register(apr_pool_t *p)
{
    ap_hook_fixups(rf_console_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    /* refusals before the fixups (a denied vendor file) carry them too */
    ap_hook_insert_error_filter(set_console_headers, NULL, NULL, APR_HOOK_MIDDLE);
}
