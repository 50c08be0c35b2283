/* One WS-Man exchange with error mapping (see wsman_client.h). */
#include "wsman_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlmemory.h>
#include <openssl/rand.h>

#include "amt_ops.h"

struct wsman_client {
    wsman_http *http;
    unsigned long calls;
    unsigned long seq;
    unsigned char rnd[10];     /* per-client random part of every MessageID */
    char action[256];          /* of the request in flight */
    char message_id[64];
};

wsman_client *wsman_client_new(const wsman_http_config *cfg, char *err, size_t errlen)
{
    wsman_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* Random per client so that IDs from different clients (and restarts) differ; AMT
     * only echoes them, but a unique ID lets us match RelatesTo meaningfully. */
    if (RAND_bytes(c->rnd, sizeof c->rnd) != 1) {
        snprintf(err, errlen, "no randomness for message IDs");
        free(c);
        return NULL;
    }
    c->http = wsman_http_new(cfg, err, errlen);
    if (!c->http) {
        free(c);
        return NULL;
    }
    return c;
}

void wsman_client_free(wsman_client *c)
{
    if (!c)
        return;
    wsman_http_free(c->http);
    free(c);
}

xmlDocPtr wsman_client_request(wsman_client *c, const char *action, const char *resource_uri,
                               xmlNodePtr *body)
{
    unsigned long n = ++c->seq;
    const unsigned char *r = c->rnd;
    snprintf(c->message_id, sizeof c->message_id,
             "uuid:%02x%02x%02x%02x-%02x%02x-4%01x%02x-%02x%02x-%012lx", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6] & 0x0f, r[7], (r[8] & 0x3f) | 0x80, r[9],
             n & 0xffffffffffffUL);
    snprintf(c->action, sizeof c->action, "%s", action);
    return wsman_envelope_new(action, resource_uri, c->message_id, body);
}

/* "Get" for ".../transfer/Get": short names keep error messages readable. */
static const char *short_action(const char *action)
{
    const char *slash = strrchr(action, '/');
    return slash ? slash + 1 : action;
}

static int starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int wsman_client_send(wsman_client *c, xmlDocPtr req, wsman_reply *reply, char *err,
                      size_t errlen)
{
    memset(reply, 0, sizeof *reply);
    char *out = NULL;
    size_t outlen = 0;
    int ser = req ? wsman_serialize(req, &out, &outlen) : -1;
    xmlFreeDoc(req);
    if (ser != 0) {
        snprintf(err, errlen, "cannot build the request");
        return AMT_E_PROTOCOL;
    }
    c->calls++;
    int hr = wsman_http_post(c->http, out, outlen, err, errlen);
    xmlFree(out);
    switch (hr) {
    case WSMAN_HTTP_OK:
        break;
    case WSMAN_HTTP_UNREACHABLE:
        return AMT_E_UNREACHABLE;
    case WSMAN_HTTP_TLS:
        return AMT_E_TLS;
    default:
        return AMT_E_PROTOCOL;
    }

    long status = wsman_http_status(c->http);
    const char *ctype = wsman_http_content_type(c->http);
    size_t blen;
    const char *body = wsman_http_body(c->http, &blen);
    if (status == 401) {
        snprintf(err, errlen, "device refused the configured credentials (HTTP 401)");
        return AMT_E_AUTH;
    }
    /* Seen from 15.0 firmware now and then: 400 with Content-Length 0 and no
     * Content-Type. Nothing was done; the same request a moment later works. */
    if (status == 400 && blen == 0) {
        snprintf(err, errlen, "device answered HTTP 400 without a body to %s (transient)",
                 short_action(c->action));
        return AMT_E_TRANSIENT;
    }
    int soap = starts_with_ci(ctype, "application/soap+xml");
    if (status != 200 && !(status == 400 && soap) && !(status == 500 && soap)) {
        snprintf(err, errlen, "unexpected HTTP status %ld", status);
        return AMT_E_PROTOCOL;
    }
    char perr[128];
    if (wsman_reply_parse(reply, body, blen, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "bad reply to %s: %s", short_action(c->action), perr);
        return AMT_E_PROTOCOL;
    }
    /* RelatesTo is optional in WS-Addressing; when AMT sends it, it must be ours. */
    if (reply->relates_to[0] && strcmp(reply->relates_to, c->message_id) != 0) {
        snprintf(err, errlen, "reply relates to another request");
        return AMT_E_PROTOCOL;
    }
    if (reply->is_fault) {
        snprintf(err, errlen, "WS-Man fault %s: %s",
                 reply->fault_subcode[0] ? reply->fault_subcode : reply->fault_code,
                 reply->fault_reason);
        return AMT_E_FAULT;
    }
    if (status != 200) {
        snprintf(err, errlen, "HTTP %ld without a SOAP fault", status);
        return AMT_E_PROTOCOL;
    }
    char want[300];
    snprintf(want, sizeof want, "%sResponse", c->action);
    if (strcmp(reply->action, want) != 0) {
        snprintf(err, errlen, "unexpected reply action to %s", short_action(c->action));
        return AMT_E_PROTOCOL;
    }
    return AMT_OK;
}

unsigned long wsman_client_calls(const wsman_client *c) { return c->calls; }
const char *wsman_client_server_header(const wsman_client *c)
{
    return wsman_http_server(c->http);
}
long wsman_client_connects(const wsman_client *c) { return wsman_http_connects(c->http); }
const char *wsman_client_tls(const wsman_client *c) { return wsman_http_tls(c->http); }
const char *wsman_client_last_message_id(const wsman_client *c) { return c->message_id; }
