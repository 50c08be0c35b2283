/* PATCH helpers (see rf_patch.h). */
#include "rf_patch.h"

#include <string.h>

#include "apr_strings.h"
#include "http_protocol.h"

int rf_check_if_match(rf_req *q, json_t *current)
{
    const char *want = apr_table_get(q->r->headers_in, "If-Match");
    const char *have;
    int match = 0;
    if (!want || strcmp(want, "*") == 0) {
        json_decref(current);
        return OK;
    }
    have = rf_etag_of(q, current);
    json_decref(current);
    /* A list of ETags may be given; weak comparison is what Redfish clients expect. */
    {
        char *list = apr_pstrdup(q->r->pool, want), *last, *tok;
        for (tok = apr_strtok(list, ",", &last); tok; tok = apr_strtok(NULL, ",", &last)) {
            while (*tok == ' ')
                tok++;
            if (strncmp(tok, "W/", 2) != 0 && strcmp(tok, have + 2) == 0)
                match = 1;
            if (strncmp(tok, "W/", 2) == 0 && strcmp(tok, have) == 0)
                match = 1;
        }
    }
    if (!match)
        return rf_error(q, HTTP_PRECONDITION_FAILED, "PreconditionFailed");
    return OK;
}

const char *rf_json_text(rf_req *q, json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *out;
    if (!t)
        return "";
    out = apr_pstrndup(q->r->pool, t, 128);
    free(t);
    /* strings read better without their JSON quotes in messages */
    if (json_is_string(v) && strlen(out) >= 2 && out[0] == '"' && out[strlen(out) - 1] == '"')
        out = apr_pstrndup(q->r->pool, out + 1, strlen(out) - 2);
    return out;
}

void rf_patch_reject(rf_req *q, json_t *msgs, const char *name, int exists)
{
    const char *ptr = apr_psprintf(q->r->pool, "#/%s", name);
    json_array_append_new(msgs, rf_msg(ptr, exists ? "PropertyNotWritable" : "PropertyUnknown",
                                       name));
}
