/* Collections of configured devices: $skip/$top paging and the device lookup
 * shared by the Systems, Managers and action handlers. */
#include "rf_handlers.h"

#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"
#include "http_protocol.h"

#include "amt_uuid.h"

const amt_device *rf_device_param(rf_req *q, const char *type)
{
    char canon[37];
    const amt_device *d = NULL;
    if (amt_uuid_canonical(q->params[0], canon) == 0)
        d = apr_hash_get(q->sconf->by_id, canon, APR_HASH_KEY_STRING);
    if (!d)
        rf_error(q, HTTP_NOT_FOUND, "ResourceNotFound", type,
                 ap_escape_html(q->r->pool, apr_pstrndup(q->r->pool, q->params[0], 64)));
    return d;
}

static int parse_count(const char *v, long *out)
{
    char *end;
    long n;
    if (!*v || strlen(v) > 9)
        return -1;
    for (const char *p = v; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    n = strtol(v, &end, 10);
    *out = n;
    return 0;
}

int rf_paging(rf_req *q, int total, int *first, int *count)
{
    long skip = 0, top = rf_cfg_page_size(q->cfg);
    int page = rf_cfg_page_size(q->cfg);
    if (q->r->args && *q->r->args) {
        char *args = apr_pstrdup(q->r->pool, q->r->args), *last, *kv;
        for (kv = apr_strtok(args, "&", &last); kv; kv = apr_strtok(NULL, "&", &last)) {
            char *val = strchr(kv, '=');
            if (val)
                *val++ = '\0';
            ap_unescape_url(kv);
            if (val)
                ap_unescape_url(val);
            if (strcmp(kv, "$skip") == 0 || strcmp(kv, "$top") == 0) {
                long n;
                if (!val || parse_count(val, &n) != 0)
                    return rf_error(q, HTTP_BAD_REQUEST, "QueryParameterValueFormatError",
                                    ap_escape_html(q->r->pool, val ? val : ""), kv);
                if (kv[1] == 's')
                    skip = n;
                else
                    top = n;
            } else if (kv[0] == '$') {
                /* DSP0266: an unsupported $-query is 501, not silently ignored. */
                return rf_error(q, HTTP_NOT_IMPLEMENTED, "QueryNotSupported");
            }
        }
    }
    if (top > page)
        top = page;
    *first = skip > total ? total : (int)skip;
    *count = (int)((total - *first) < top ? (total - *first) : top);
    return OK;
}

/* Members page plus nextLink; used by Systems and Managers. */
json_t *rf_device_collection(rf_req *q, const char *base, const char *type, const char *name,
                             int first, int count)
{
    int total = q->sconf->devices->nelts;
    json_t *members = json_array(), *o;
    for (int i = first; i < first + count; i++) {
        const amt_device *d = APR_ARRAY_IDX(q->sconf->devices, i, const amt_device *);
        json_array_append_new(members, json_pack("{s:s}", "@odata.id",
                                                 apr_psprintf(q->r->pool, "%s/%s", base,
                                                              d->system_id)));
    }
    o = json_pack("{s:s, s:s, s:s, s:i, s:o}", "@odata.id", base, "@odata.type", type, "Name",
                  name, "Members@odata.count", total, "Members", members);
    if (first + count < total)
        json_object_set_new(o, "Members@odata.nextLink",
                            json_string(apr_psprintf(q->r->pool, "%s?$skip=%d", base,
                                                     first + count)));
    return o;
}
