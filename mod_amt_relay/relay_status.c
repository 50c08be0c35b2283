/* relay_status: the mod_status section (active streams, bytes each way). */
#include "apr_strings.h"
#include "http_protocol.h"
#include "mod_status.h"

#include "relay_glue.h"
#include "relay_registry.h"

int relay_status_hook(request_rec *r, int flags);

typedef struct {
    apr_array_header_t *rows;
} collect_ctx;

static void collect(const relay_slot *s, void *ctx)
{
    /* runs under the mutex: copy only, print later */
    *(relay_slot *)apr_array_push(((collect_ctx *)ctx)->rows) = *s;
}

int relay_status_hook(request_rec *r, int flags)
{
    collect_ctx cc;
    apr_time_t now = apr_time_now();
    cc.rows = apr_array_make(r->pool, 16, sizeof(relay_slot));
    if (relay_registry_foreach(collect, &cc, r->pool) != 0)
        return OK;
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "AmtRelayStreams: %d\n", cc.rows->nelts);
        for (int i = 0; i < cc.rows->nelts; i++) {
            const relay_slot *s = &APR_ARRAY_IDX(cc.rows, i, relay_slot);
            ap_rprintf(r, "AmtRelayStream%d: system=%s mode=%s dialect=%s user=%s client=%s "
                       "seconds=%" APR_TIME_T_FMT " to_amt=%" APR_UINT64_T_FMT
                       " to_client=%" APR_UINT64_T_FMT "\n", i, s->system_id, s->mode,
                       s->dialect, s->user, s->client, apr_time_sec(now - s->started),
                       (apr_uint64_t)s->to_amt, (apr_uint64_t)s->to_client);
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>AMT relay streams</h2>\n", r);
    ap_rprintf(r, "<p>%d active stream(s)</p>\n", cc.rows->nelts);
    if (!cc.rows->nelts)
        return OK;
    ap_rputs("<table border=\"1\"><tr><th>System</th><th>Mode</th><th>Dialect</th><th>User</th>"
             "<th>Client</th><th>Seconds</th><th>Bytes to AMT</th><th>Bytes to client</th></tr>\n", r);
    for (int i = 0; i < cc.rows->nelts; i++) {
        const relay_slot *s = &APR_ARRAY_IDX(cc.rows, i, relay_slot);
        ap_rprintf(r, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%"
                   APR_TIME_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n", ap_escape_html(r->pool, s->system_id), s->mode, s->dialect,
                   ap_escape_html(r->pool, s->user), ap_escape_html(r->pool, s->client),
                   apr_time_sec(now - s->started), (apr_uint64_t)s->to_amt,
                   (apr_uint64_t)s->to_client);
    }
    ap_rputs("</table>\n", r);
    return OK;
}
