/* relay_handler: GET /relay/webrelay.ashx?host={SystemId}&mode=kvm|sol[&p=2]
 *
 * Order matters (decision 6): everything that can fail is checked while a plain
 * 4xx/5xx can still be sent — WebSocket handshake, Origin, device, stream caps,
 * token (which is spent by the check), slot reservation, AMT connection — and only
 * then is the connection taken over with a 101. */
#include <string.h>

#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"

#include "relay_backend.h"
#include "relay_config.h"
#include "relay_glue.h"
#include "relay_loop.h"
#include "relay_pump.h"
#include "relay_registry.h"
#include "ws_handshake.h"

APLOG_USE_MODULE(amt_relay);

#define TOKEN_MAX 4096

/* A refusal before the upgrade: status + one-line reason (no secrets). */
static int refuse(request_rec *r, int status, const char *reason)
{
    /* a client's mistake is info; the relay or the device failing (5xx) is an operator's
       matter */
    ap_log_rerror(APLOG_MARK, status >= 500 ? APLOG_WARNING : APLOG_INFO, 0, r,
                  "relay refused %s (%d): %s", r->uri, status, reason);
    r->status = status;
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/plain; charset=utf-8");
    ap_rprintf(r, "%s\n", reason);
    return OK;
}

static int token_http_status(redfish_amt_token_status st)
{
    switch (st) {
    case REDFISH_AMT_TOKEN_MALFORMED:
    case REDFISH_AMT_TOKEN_EXPIRED:
    case REDFISH_AMT_TOKEN_SESSION_GONE:
        return HTTP_UNAUTHORIZED;
    case REDFISH_AMT_TOKEN_UNAVAILABLE:
        return HTTP_SERVICE_UNAVAILABLE;
    default:
        return HTTP_FORBIDDEN; /* wrong system/mode, replayed, no consent */
    }
}

static int origin_allowed(request_rec *r, const relay_conf *conf, const char *origin)
{
    if (!origin)
        return 1; /* a non-browser client (browsers always send Origin) */
    if (!conf->origins) {
        /* no list: a browser page must come from the host it connects to, so that
           a page on another site cannot open a console with a stolen token */
        int same = ws_origin_matches_host(origin, apr_table_get(r->headers_in, "Host"));
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "relay: Origin %s %s the request's Host "
                      "(no AmtRelayOriginAllow)", origin, same ? "matches" : "does not match");
        return same;
    }
    for (int i = 0; i < conf->origins->nelts; i++) {
        const char *o = APR_ARRAY_IDX(conf->origins, i, const char *);
        if (!strcmp(o, "*") || !strcasecmp(o, origin))
            return 1;
    }
    return 0;
}

/* " tls=TLSv1.2 cipher=... [unverified]" for a TLS connection to AMT, "" for TCP. */
static const char *tls_fields(request_rec *r, const relay_backend *be)
{
    if (!be->ssl)
        return "";
    return apr_psprintf(r->pool, " tls=%s cipher=%s%s", be->tls.version[0] ? be->tls.version : "?",
                        be->tls.cipher[0] ? be->tls.cipher : "?", be->insecure ? " unverified" : "");
}

static void log_stream(request_rec *r, const relay_slot *meta, const relay_pump *p,
                       apr_time_t started, const char *tls)
{
    apr_time_t dur = apr_time_now() - started;
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  "relay stream ended: user=%s client=%s system=%s mode=%s dialect=%s%s%s "
                  "duration=%" APR_TIME_T_FMT ".%03ds client_in=%" APR_UINT64_T_FMT
                  " client_out=%" APR_UINT64_T_FMT " amt_in=%" APR_UINT64_T_FMT
                  " amt_out=%" APR_UINT64_T_FMT " close=%u reason=\"%s\"",
                  meta->user, meta->client, meta->system_id, meta->mode, meta->dialect,
                  tls,
                  p->amt_busy_retries ? apr_psprintf(r->pool, " amt_busy=%u", p->amt_busy_retries) : "",
                  apr_time_sec(dur), (int)(apr_time_msec(dur)),
                  (apr_uint64_t)p->client_bytes_in, (apr_uint64_t)p->client_bytes_out,
                  (apr_uint64_t)p->amt_bytes_in, (apr_uint64_t)p->amt_bytes_out,
                  (unsigned)p->end_code, p->end_reason[0] ? p->end_reason : "ended");
}

/* The device's KVM (or SOL) is held by another stream. Only one newcomer per device
 * and mode waits (others get 409 at once), so no caller can park many workers. Its
 * owner is asked to check
 * that its client is still there (relay_client_health.h, client_probe): a client that
 * answers keeps the device and this one gets 409 as soon as that is known; one
 * whose network vanished is given up on within seconds, and this one takes the
 * device instead of waiting for the idle timeout. Never longer than
 * RELAY_PROBE_WAIT_MS. */
#define RELAY_PROBE_WAIT_MS 6000
#define RELAY_PROBE_STEP_MS 100

static relay_reg_status wait_for_device(const relay_slot *want, int max_streams, relay_slot **slot)
{
    const apr_interval_time_t window = apr_time_from_msec(RELAY_PROBE_WAIT_MS);
    apr_time_t stamp = relay_registry_probe(want->system_id, want->mode, window);
    if (stamp == RELAY_PROBE_TAKEN)
        return RELAY_REG_BUSY; /* another request is already waiting for this device */
    for (int waited = 0; waited < RELAY_PROBE_WAIT_MS; waited += RELAY_PROBE_STEP_MS) {
        relay_probe_state st = stamp ? relay_registry_probe_state(want->system_id, want->mode, stamp)
                                     : RELAY_PROBE_GONE;
        if (st == RELAY_PROBE_ALIVE)
            return RELAY_REG_BUSY;
        if (st == RELAY_PROBE_GONE) {
            relay_reg_status rs = relay_registry_acquire(want, max_streams, slot);
            if (rs != RELAY_REG_BUSY)
                return rs;
            stamp = relay_registry_probe(want->system_id, want->mode, window); /* someone else took it */
            if (stamp == RELAY_PROBE_TAKEN)
                return RELAY_REG_BUSY;
        }
        apr_sleep(apr_time_from_msec(RELAY_PROBE_STEP_MS));
    }
    return RELAY_REG_BUSY;
}

static apr_status_t pump_cleanup(void *data)
{
    relay_pump_free(data);
    return APR_SUCCESS;
}

static apr_status_t slot_cleanup(void *data)
{
    relay_registry_release(data);
    return APR_SUCCESS;
}

int relay_handler(request_rec *r);

int relay_handler(request_rec *r)
{
    conn_rec *c = r->connection;
    relay_conf *conf;
    apr_table_t *args = NULL;
    const char *host, *mode, *p2, *h, *key, *user = NULL, *session_id = NULL;
    const amt_device *dev;
    char token[TOKEN_MAX], accept[WS_ACCEPT_LEN + 1];
    relay_slot meta, *slot = NULL;
    relay_reg_status rs;
    redfish_amt_token_status ts;
    relay_backend be;
    relay_pump *pump;
    relay_limits lim;
    const char *why = NULL, *tls;
    amt_creds creds;
    int rc;

    if (!r->handler || strcmp(r->handler, "amt-relay"))
        return DECLINED;
    conf = relay_conf_get(r->server);

    /* ---- the request ---- */
    if (r->method_number != M_GET)
        return refuse(r, HTTP_METHOD_NOT_ALLOWED, "only GET (a WebSocket upgrade) is served here");
    if (r->proto_num < HTTP_VERSION(1, 1))
        return refuse(r, HTTP_BAD_REQUEST, "WebSocket needs HTTP/1.1");
    if (c->master)
        return refuse(r, HTTP_NOT_IMPLEMENTED, "WebSocket over HTTP/2 is not supported by the relay");
    ap_args_to_table(r, &args);
    host = apr_table_get(args, "host");
    mode = apr_table_get(args, "mode");
    p2 = apr_table_get(args, "p");
    /* port, tls, tls1only are what the DMT ui-toolkit sends: accepted and ignored,
       because the device's own configuration decides how to reach it */
    if (!host || !*host)
        return refuse(r, HTTP_BAD_REQUEST, "missing host (the Redfish SystemId)");
    if (!mode || (strcmp(mode, "kvm") && strcmp(mode, "sol")))
        return refuse(r, HTTP_BAD_REQUEST, "mode must be kvm or sol");
    if (p2 && *p2 && strcmp(p2, "2") && strcmp(p2, "0") && strcmp(p2, "1"))
        return refuse(r, HTTP_BAD_REQUEST, "p must be 2 (redirection passthrough) or absent");

    /* ---- the WebSocket handshake (RFC 6455 4.2.1) ---- */
    h = apr_table_get(r->headers_in, "Upgrade");
    if (!h || !ws_header_has_token(h, "websocket"))
        return refuse(r, HTTP_BAD_REQUEST, "not a WebSocket upgrade (Upgrade: websocket missing)");
    h = apr_table_get(r->headers_in, "Connection");
    if (!h || !ws_header_has_token(h, "upgrade"))
        return refuse(r, HTTP_BAD_REQUEST, "not a WebSocket upgrade (Connection: Upgrade missing)");
    h = apr_table_get(r->headers_in, "Sec-WebSocket-Version");
    if (!h || strcmp(h, "13")) {
        apr_table_setn(r->err_headers_out, "Sec-WebSocket-Version", "13");
        return refuse(r, HTTP_UPGRADE_REQUIRED, "Sec-WebSocket-Version 13 required");
    }
    key = apr_table_get(r->headers_in, "Sec-WebSocket-Key");
    if (!ws_key_valid(key))
        return refuse(r, HTTP_BAD_REQUEST, "missing or malformed Sec-WebSocket-Key");
    if (!origin_allowed(r, conf, apr_table_get(r->headers_in, "Origin")))
        return refuse(r, HTTP_FORBIDDEN, conf->origins ? "Origin not allowed (AmtRelayOriginAllow)"
                      : "Origin is not this host (set AmtRelayOriginAllow to allow others)");

    /* ---- token, device, caps ---- */
    dev = relay_find_device ? relay_find_device(host) : NULL;
    switch (ws_single_subprotocol(apr_table_get(r->headers_in, "Sec-WebSocket-Protocol"), token,
                                  sizeof(token))) {
    case 0:
        break;
    case -1:
        return refuse(r, HTTP_UNAUTHORIZED, "missing redirection token (Sec-WebSocket-Protocol)");
    case -2:
        return refuse(r, HTTP_BAD_REQUEST, "offer exactly one Sec-WebSocket-Protocol (the token)");
    default:
        return refuse(r, HTTP_UNAUTHORIZED, "token malformed or signature invalid");
    }
    if (!dev) {
        /* An unknown SystemId is answered exactly as a known one would be with the same
           token, so that nobody without a valid token learns which SystemIds exist:
           the token check refuses (no token can be valid for a system that is not
           configured) and only a token issued for it, before a reload removed the
           device, gets "unknown system". */
        ts = relay_check_token ? relay_check_token(r, token, host, mode, &user, &session_id)
                               : REDFISH_AMT_TOKEN_UNAVAILABLE;
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "relay: system %s is not configured; "
                      "answering as the token check says (%s)", host,
                      redfish_amt_token_status_text(ts));
        if (ts != REDFISH_AMT_TOKEN_OK)
            return refuse(r, token_http_status(ts), redfish_amt_token_status_text(ts));
        return refuse(r, HTTP_NOT_FOUND, "unknown system");
    }
    /* cheap check first so that a refused stream does not burn the token; a taken
       device goes on to the token check, because only an authorised client may
       make the relay check the present one (wait_for_device) */
    rs = relay_registry_check(dev->system_id, mode, conf->max_streams);
    if (rs == RELAY_REG_FULL) {
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
        return refuse(r, HTTP_SERVICE_UNAVAILABLE, "relay stream limit reached (AmtRelayMaxStreams)");
    }
    if (rs != RELAY_REG_OK && rs != RELAY_REG_BUSY)
        return refuse(r, HTTP_INTERNAL_SERVER_ERROR, "relay stream table unavailable");
    ts = relay_check_token ? relay_check_token(r, token, dev->system_id, mode, &user, &session_id)
                           : REDFISH_AMT_TOKEN_UNAVAILABLE;
    if (ts != REDFISH_AMT_TOKEN_OK)
        return refuse(r, token_http_status(ts), redfish_amt_token_status_text(ts));

    memset(&meta, 0, sizeof(meta));
    apr_cpystrn(meta.system_id, dev->system_id, sizeof(meta.system_id));
    apr_cpystrn(meta.mode, mode, sizeof(meta.mode));
    apr_cpystrn(meta.dialect, p2 && !strcmp(p2, "2") ? "p2" : "plain", sizeof(meta.dialect));
    apr_cpystrn(meta.user, user ? user : "-", sizeof(meta.user));
    apr_cpystrn(meta.session_id, session_id ? session_id : "", sizeof(meta.session_id));
    apr_cpystrn(meta.client, r->useragent_ip ? r->useragent_ip : c->client_ip, sizeof(meta.client));
    meta.started = apr_time_now();
    rs = relay_registry_acquire(&meta, conf->max_streams, &slot);
    if (rs == RELAY_REG_BUSY)
        rs = wait_for_device(&meta, conf->max_streams, &slot);
    if (rs == RELAY_REG_BUSY)
        return refuse(r, HTTP_CONFLICT, apr_psprintf(r->pool, "a %s stream to this system is "
                      "already open (AMT allows one)", mode));
    if (rs != RELAY_REG_OK) {
        apr_table_setn(r->err_headers_out, "Retry-After", "10");
        return refuse(r, HTTP_SERVICE_UNAVAILABLE, "relay stream limit reached (AmtRelayMaxStreams)");
    }
    apr_pool_cleanup_register(r->pool, slot, slot_cleanup, apr_pool_cleanup_null);

    /* ---- AMT ---- */
    if (relay_backend_connect(&be, dev, conf->connect_timeout, r->pool, &why) != 0)
        return refuse(r, HTTP_BAD_GATEWAY, why);
    if (be.insecure)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "relay: TLS to %s not verified "
                      "(AmtTLSInsecure on)", dev->system_id);
    if (be.ssl)
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "relay: AMT %s redirection over %s%s",
                      dev->system_id, be.tls.negotiated, dev->tls_legacy ? " (AmtTLSLegacy)" : "");

    pump = apr_pcalloc(r->pool, sizeof(*pump));
    lim.max_message = (uint64_t)conf->max_message;
    lim.buf_size = conf->buffer_size;
    lim.idle_ms = (unsigned)apr_time_as_msec(conf->idle_timeout);
    lim.ping_ms = (unsigned)apr_time_as_msec(conf->ping_interval);
    lim.close_wait_ms = 1500; /* the client hears about an AMT exit within 2 s */
    lim.busy_wait_ms = (unsigned)apr_time_as_msec(conf->busy_wait);
    creds.user = amt_s(dev->user);
    creds.password = amt_s(dev->password);
    /* type 1 (the password in clear) only inside TLS whose peer was verified (CA or
       pin): over AmtTLSInsecure a man in the middle could offer type 1 alone */
    creds.plain_ok = be.ssl != NULL && !be.insecure;
    if (relay_pump_init(pump, strcmp(meta.dialect, "p2") ? RELAY_PLAIN : RELAY_P2,
                        strcmp(mode, "kvm") ? AMT_MODE_SOL : AMT_MODE_KVM, creds, &lim,
                        (uint64_t)apr_time_as_msec(apr_time_now())) != 0) {
        relay_backend_close(&be);
        return refuse(r, HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    apr_pool_cleanup_register(r->pool, pump, pump_cleanup, apr_pool_cleanup_null);
    if (ws_accept_key(key, accept) != 0) {
        relay_backend_close(&be);
        return refuse(r, HTTP_INTERNAL_SERVER_ERROR, "cannot compute Sec-WebSocket-Accept");
    }

    /* ---- take over (docs/redirection-protocol.md, "Taking the connection over") ---- */
    ap_remove_input_filter_byhandle(c->input_filters, "reqtimeout");
    ap_remove_output_filter_byhandle(c->output_filters, "SSL/TLS Coalescing Filter");
    r->output_filters = r->proto_output_filters = c->output_filters;
    r->input_filters = r->proto_input_filters = c->input_filters;
    c->keepalive = AP_CONN_CLOSE;
    apr_table_clear(r->headers_out);
    apr_table_setn(r->headers_out, "Upgrade", "websocket");
    apr_table_setn(r->headers_out, "Connection", "Upgrade");
    apr_table_setn(r->headers_out, "Sec-WebSocket-Accept", apr_pstrdup(r->pool, accept));
    /* browsers fail the connection unless the offered subprotocol is echoed */
    apr_table_setn(r->headers_out, "Sec-WebSocket-Protocol", apr_pstrdup(r->pool, token));
    r->status = HTTP_SWITCHING_PROTOCOLS;
    r->status_line = ap_get_status_line(r->status);
    ap_send_interim_response(r, 1);
    memset(token, 0, sizeof(token));

    tls = tls_fields(r, &be); /* the loop closes the connection */
    relay_loop_run(r, pump, &be, slot, dev, conf->connect_timeout);
    log_stream(r, &meta, pump, meta.started, tls);
    rc = OK;
    return rc;
}
