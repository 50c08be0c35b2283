/* JSON responses, error envelopes and request bodies (see rf_http.h). */
#include "rf_http.h"

#include <stdarg.h>
#include <string.h>

#include "apr_network_io.h"
#include "apr_strings.h"
#include "apr_lib.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_ssl.h"
#include "util_filter.h"

#include <openssl/sha.h>

#include "rf_browser_policy.h"
#include "rf_messages.h"

APLOG_USE_MODULE(redfish_amt);

void rf_req_init(rf_req *q, request_rec *r)
{
    memset(q, 0, sizeof(*q));
    q->r = r;
    q->sconf = rf_sconf(r->server);
    q->cfg = &q->sconf->redfish;
    q->dconf = ap_get_module_config(r->per_dir_config, &redfish_amt_module);
    q->role = -1;
}

/* "#ComputerSystem.v1_27_0.ComputerSystem" -> the DMTF schema URL for Link. */
static const char *describedby(apr_pool_t *p, json_t *obj)
{
    const char *t = json_string_value(json_object_get(obj, "@odata.type"));
    const char *dot;
    if (!t || t[0] != '#')
        return NULL;
    dot = strrchr(t, '.');
    if (!dot || dot == t + 1)
        return NULL;
    return apr_psprintf(p, "<https://redfish.dmtf.org/schemas/v1/%s.json>; rel=describedby",
                        apr_pstrmemdup(p, t + 1, (apr_size_t)(dot - t - 1)));
}

static const char *etag_of_text(apr_pool_t *p, const char *text)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), md);
    return apr_psprintf(p, "W/\"%02x%02x%02x%02x%02x%02x%02x%02x\"", md[0], md[1], md[2], md[3],
                        md[4], md[5], md[6], md[7]);
}

/* One serialization for the body and its ETag, so a client's If-Match compares
 * with exactly what it was sent, and the body is serialized once per response. */
#define RF_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

const char *rf_etag_of(rf_req *q, json_t *obj)
{
    char *text = json_dumps(obj, RF_JSON_FLAGS);
    const char *etag;
    if (!text)
        return "W/\"0\"";
    etag = etag_of_text(q->r->pool, text);
    free(text);
    return etag;
}

int rf_send_text(rf_req *q, int status, const char *text, const char *etag, const char *link)
{
    request_rec *r = q->r;
    size_t len = strlen(text);
    if (etag)
        apr_table_setn(r->headers_out, "ETag", etag);
    if (link)
        apr_table_setn(r->headers_out, "Link", link);
    r->status = status;
    apr_table_setn(r->headers_out, "OData-Version", "4.0");
    /* Responses describe live device state: clients revalidate with the ETag.
     * What an authenticated user was shown is theirs alone: no cache, shared or
     * the browser's own disk, keeps it (docs/security-browsers.md). */
    if (!apr_table_get(r->headers_out, "Cache-Control"))
        apr_table_setn(r->headers_out, "Cache-Control", q->user ? "private, no-store" : "no-cache");
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only)
        ap_rwrite(text, (int)len, r);
    return OK;
}

int rf_render_json(rf_req *q, json_t *obj, const char **text, const char **etag, const char **link)
{
    char *t;
    if (!obj)
        return -1;
    *link = describedby(q->r->pool, obj);
    t = json_dumps(obj, RF_JSON_FLAGS);
    json_decref(obj);
    if (!t)
        return -1;
    *text = apr_pstrdup(q->r->pool, t);
    free(t);
    *etag = etag_of_text(q->r->pool, *text);
    return 0;
}

int rf_send_json(rf_req *q, int status, json_t *obj, int with_etag)
{
    const char *text, *etag, *link;
    if (rf_render_json(q, obj, &text, &etag, &link) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    return rf_send_text(q, status, text, with_etag ? etag : NULL, link);
}

static json_t *msg_va(const char *related, const char *key, va_list ap)
{
    const rf_message_def *m = rf_message_find(key);
    const char *args[9];
    char text[1024], id[96];
    json_t *o, *jargs;
    if (!m) /* a programming error: report it without inventing a message id */
        m = rf_message_find("InternalError");
    jargs = json_array();
    for (int i = 0; i < m->nargs && i < 9; i++) {
        args[i] = va_arg(ap, const char *);
        json_array_append_new(jargs, json_string(args[i] ? args[i] : ""));
    }
    rf_message_format(m, args, m->nargs, text, sizeof(text));
    snprintf(id, sizeof(id), "%s.%s", RF_BASE_REGISTRY, m->key);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "@odata.type", "#Message.v1_3_0.Message",
                  "MessageId", id, "Message", text, "MessageSeverity", m->severity, "Resolution",
                  m->resolution);
    if (!o) { /* invalid UTF-8 in an argument: keep the id, drop the text */
        json_decref(jargs);
        return json_pack("{s:s, s:s}", "MessageId", id, "MessageSeverity", m->severity);
    }
    if (m->nargs)
        json_object_set_new(o, "MessageArgs", jargs);
    else
        json_decref(jargs);
    if (related)
        json_object_set_new(o, "RelatedProperties", json_pack("[s]", related));
    return o;
}

json_t *rf_msg(const char *related, const char *key, ...)
{
    va_list ap;
    json_t *o;
    va_start(ap, key);
    o = msg_va(related, key, ap);
    va_end(ap);
    return o;
}

int rf_send_errors(rf_req *q, int status, json_t *msgs)
{
    json_t *first = json_array_get(msgs, 0);
    json_t *err;
    if (!first) {
        json_decref(msgs);
        msgs = json_pack("[o]", rf_msg(NULL, "GeneralError"));
        first = json_array_get(msgs, 0);
    }
    err = json_pack("{s:{s:O?, s:O?, s:o}}", "error", "code", json_object_get(first, "MessageId"),
                    "message", json_object_get(first, "Message"), "@Message.ExtendedInfo", msgs);
    rf_send_json(q, status, err, 0);
    return DONE;
}

int rf_error(rf_req *q, int status, const char *key, ...)
{
    va_list ap;
    json_t *m;
    va_start(ap, key);
    m = msg_va(NULL, key, ap);
    va_end(ap);
    return rf_send_errors(q, status, json_pack("[o]", m));
}

static int retry_later(rf_req *q, int status, int retry_after_s)
{
    char secs[16];
    if (retry_after_s < 1)
        retry_after_s = 1;
    snprintf(secs, sizeof(secs), "%d", retry_after_s);
    apr_table_setn(q->r->headers_out, "Retry-After", apr_pstrdup(q->r->pool, secs));
    return rf_error(q, status, "ServiceTemporarilyUnavailable", secs);
}

int rf_unavailable(rf_req *q, int retry_after_s)
{
    return retry_later(q, HTTP_SERVICE_UNAVAILABLE, retry_after_s);
}

int rf_too_many(rf_req *q, int retry_after_s)
{
    return retry_later(q, HTTP_TOO_MANY_REQUESTS, retry_after_s);
}

apr_status_t rf_json_cleanup(void *o)
{
    json_decref(o);
    return APR_SUCCESS;
}

int rf_read_json_object(rf_req *q, json_t **out)
{
    request_rec *r = q->r;
    char *buf;
    apr_size_t len = 0;
    json_error_t jerr;
    json_t *o;
    int rc;

    *out = NULL;
    if ((rc = rf_require_json_content_type(q)) != OK)
        return rc;
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK)
        return rc;
    if (r->remaining > RF_MAX_BODY)
        return rf_error(q, HTTP_REQUEST_ENTITY_TOO_LARGE, "ResourceExhaustion", "request body");
    buf = apr_palloc(r->pool, RF_MAX_BODY + 1);
    if (ap_should_client_block(r)) {
        long n;
        while ((n = ap_get_client_block(r, buf + len, RF_MAX_BODY + 1 - len)) > 0) {
            len += (apr_size_t)n;
            if (len > RF_MAX_BODY) {
                r->connection->keepalive = AP_CONN_CLOSE; /* do not read the rest */
                return rf_error(q, HTTP_REQUEST_ENTITY_TOO_LARGE, "ResourceExhaustion",
                                "request body");
            }
        }
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    if (len == 0)
        return rf_error(q, HTTP_BAD_REQUEST, "MalformedJSON");
    o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return rf_error(q, HTTP_BAD_REQUEST, "MalformedJSON");
    if (!json_is_object(o)) {
        json_decref(o);
        return rf_error(q, HTTP_BAD_REQUEST, "MalformedJSON");
    }
    *out = o;
    apr_pool_cleanup_register(r->pool, o, rf_json_cleanup, apr_pool_cleanup_null);
    return OK;
}

int rf_require_json_content_type(rf_req *q)
{
    request_rec *r = q->r;
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    if (rf_media_type_is_json(ct))
        return OK;
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "Redfish: %s refused: Content-Type %s",
                  r->method, ct ? ap_escape_logitem(r->pool, ct) : "missing");
    if (!ct)
        return rf_error(q, HTTP_UNSUPPORTED_MEDIA_TYPE, "HeaderMissing", "Content-Type");
    return rf_error(q, HTTP_UNSUPPORTED_MEDIA_TYPE, "HeaderInvalid",
                    apr_psprintf(r->pool, "Content-Type: %.64s", ct));
}

int rf_is_https(rf_req *q)
{
    return ap_ssl_conn_is_ssl(q->r->connection) ? 1 : 0;
}

/* A forwarded value is used only if it is a plain token (no spaces, quotes,
 * slashes or commas), so a client cannot inject a URL through it. */
static const char *forwarded(request_rec *r, const char *name)
{
    const char *v = apr_table_get(r->headers_in, name);
    if (!v || !*v || strlen(v) > 255)
        return NULL;
    v = apr_pstrmemdup(r->pool, v, strcspn(v, ","));
    for (const char *p = v; *p; p++)
        if (!apr_isalnum(*p) && !strchr(".-:[]_", *p))
            return NULL;
    return *v ? v : NULL;
}

/* X-Forwarded-* are anyone's to send: they count only when the TCP peer (not an
 * address mod_remoteip derived from a header) is a RedfishTrustedProxy. */
static int from_trusted_proxy(const rf_req *q)
{
    const apr_array_header_t *t = q->cfg->trusted_proxies;
    apr_sockaddr_t *peer = q->r->connection->client_addr;
    for (int i = 0; t && peer && i < t->nelts; i++)
        if (apr_ipsubnet_test(APR_ARRAY_IDX(t, i, apr_ipsubnet_t *), peer))
            return 1;
    return 0;
}

int rf_secure_transport(rf_req *q)
{
    const char *proto = from_trusted_proxy(q) ? forwarded(q->r, "X-Forwarded-Proto") : NULL;
    if (proto) /* the proxy, not our socket, faces the client */
        return strcasecmp(proto, "https") == 0 || strcasecmp(proto, "wss") == 0;
    return rf_is_https(q);
}

const char *rf_external_origin(rf_req *q, int websocket)
{
    request_rec *r = q->r;
    int trusted = from_trusted_proxy(q);
    const char *proto = trusted ? forwarded(r, "X-Forwarded-Proto") : NULL;
    const char *host = trusted ? forwarded(r, "X-Forwarded-Host") : NULL;
    int secure;
    if (proto)
        secure = strcasecmp(proto, "https") == 0 || strcasecmp(proto, "wss") == 0;
    else
        secure = rf_is_https(q);
    if (!host) {
        const char *h = r->hostname ? r->hostname : r->server->server_hostname;
        apr_port_t port = ap_get_server_port(r);
        int dflt = port == (secure ? 443 : 80);
        host = (dflt || proto) ? h : apr_psprintf(r->pool, "%s:%u", h, (unsigned)port);
        if (strchr(h, ':') && h[0] != '[') /* IPv6 literal */
            host = dflt ? apr_psprintf(r->pool, "[%s]", h)
                        : apr_psprintf(r->pool, "[%s]:%u", h, (unsigned)port);
    }
    if (websocket)
        return apr_pstrcat(r->pool, secure ? "wss://" : "ws://", host, NULL);
    return apr_pstrcat(r->pool, secure ? "https://" : "http://", host, NULL);
}
