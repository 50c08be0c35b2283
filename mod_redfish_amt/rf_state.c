/* AMT state cache with cross-process coalescing (see rf_state.h). */
#include "rf_state.h"

#include <string.h>

#include "apr_strings.h"
#include "http_log.h"

#include "rf_consent_owner.h"
#include "rf_messages.h"
#include "rf_store.h"

APLOG_USE_MODULE(redfish_amt);

#define RF_WAIT_STEP apr_time_from_msec(10)
/* amt_get_state makes several exchanges, each bounded by the timeout. */
#define RF_BUSY_FACTOR 8

int rf_retry_after(const rf_settings *cfg)
{
    int s = (rf_cfg_amt_timeout_ms(cfg) + 999) / 1000;
    return s < 1 ? 1 : s;
}

int rf_device_index(const rf_server_conf *conf, const amt_device *d)
{
    for (int i = 0; i < conf->devices->nelts; i++)
        if (APR_ARRAY_IDX(conf->devices, i, const amt_device *) == d)
            return i;
    return -1;
}

/* Under the lock: the device's slot, (re)claimed for this device if needed. */
static rf_state_slot *slot_for(rf_req *q, const amt_device *d)
{
    int i = rf_device_index(q->sconf, d);
    rf_state_slot *s = i < 0 ? NULL : rf_store_slot(RF_TABLE_STATE, (unsigned)i);
    if (s && strcmp(s->system_id, d->system_id) != 0) {
        memset(s, 0, sizeof(*s));
        memcpy(s->system_id, d->system_id, sizeof(s->system_id));
    }
    return s;
}

enum claim { CLAIM_TIMEOUT = -1, CLAIM_CACHED = 0, CLAIM_OWNED = 1, CLAIM_FAILED = 2 };

/* Waits until the device is idle and claims it, unless (want_cache) a fresh
 * cached state or a remembered failure can answer instead. A waiter gives up
 * after one exchange budget (RedfishAMTTimeout), never the holder's whole
 * refresh: a slow device must not park the workers of everyone who asks. */
static enum claim claim(rf_req *q, const amt_device *d, int want_cache, amt_state *out,
                        int *failed_rc, amt_state *known)
{
    apr_time_t ttl = apr_time_from_msec(rf_cfg_state_ttl_ms(q->cfg));
    apr_time_t hold = apr_time_from_msec((apr_int64_t)rf_cfg_amt_timeout_ms(q->cfg) * RF_BUSY_FACTOR);
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(rf_cfg_amt_timeout_ms(q->cfg));
    for (;;) {
        apr_time_t now = apr_time_now();
        rf_state_slot *s;
        if (rf_store_lock() != 0)
            return CLAIM_TIMEOUT;
        s = slot_for(q, d);
        if (!s) {
            rf_store_unlock();
            return CLAIM_TIMEOUT;
        }
        if (want_cache && s->fetched && now - s->fetched < ttl && now >= s->fetched) {
            *out = s->state;
            rf_store_unlock();
            return CLAIM_CACHED;
        }
        if (want_cache && s->failed_until > now) {
            *failed_rc = s->failed_rc;
            if (s->failed_why[0])
                apr_table_set(q->r->notes, RF_NOTE_AMT_WHY, s->failed_why);
            rf_store_unlock();
            return CLAIM_FAILED;
        }
        if (s->busy_until <= now) {
            s->busy_until = now + hold;
            /* The identity fields never change on a device: hand the last read
             * (even a stale or invalidated one) to the refresh, which then skips
             * the 3 identity Gets (amt_get_state_with). */
            if (known) {
                if (s->state.identity_valid)
                    *known = s->state;
                else
                    known->identity_valid = 0;
            }
            rf_store_unlock();
            return CLAIM_OWNED;
        }
        rf_store_unlock();
        if (now >= deadline) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r,
                          "AMT %s: busy with another request for longer than one exchange; 503",
                          d->system_id);
            return CLAIM_TIMEOUT;
        }
        apr_sleep(RF_WAIT_STEP);
    }
}

static void unclaim(rf_req *q, const amt_device *d, const amt_state *st, int rc, const char *why,
                    int invalidate)
{
    rf_state_slot *s;
    if (rf_store_lock() != 0)
        return;
    if ((s = slot_for(q, d))) {
        apr_time_t now = apr_time_now();
        s->busy_until = 0;
        if (st) {
            s->state = *st;
            s->fetched = now;
            s->failed_until = 0;
            s->refreshes++;
            rf_consent_owner_follow(s, st);
        } else if (rc != AMT_OK && rc != AMT_E_TRANSIENT) {
            /* (a transient answer is not remembered: the next request asks again) */
            /* Remember the failure for one TTL: pollers of a dead device then
             * get their 503 at once instead of queueing behind timeouts. */
            s->failed_rc = rc;
            apr_cpystrn(s->failed_why, why ? why : "", sizeof(s->failed_why));
            s->failed_until = now + apr_time_from_msec(rf_cfg_state_ttl_ms(q->cfg));
            s->fetched = 0;
        }
        if (invalidate)
            s->fetched = 0;
    }
    rf_store_unlock();
}

/* The address answers, but as another machine (a DHCP lease moved, a placeholder
 * GUID): an operator must look, and nothing is sent to it but reads. */
static void log_identity(rf_req *q, const amt_device *d, const char *err)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r,
                  "AMT %s (%s) is not this system: %s; refusing every change, token and "
                  "stream for it (check AmtHost)", d->system_id, d->host, err);
}

int rf_state_get(rf_req *q, const amt_device *d, amt_state *out, int fresh)
{
    int failed_rc = AMT_E_UNREACHABLE, rc;
    char err[256] = "";
    amt_client *c;
    amt_state known;
    enum claim cl;

    known.identity_valid = 0;
    cl = claim(q, d, !fresh, out, &failed_rc, &known);

    if (cl == CLAIM_CACHED)
        return AMT_OK;
    if (cl == CLAIM_FAILED)
        return failed_rc;
    if (cl == CLAIM_TIMEOUT)
        return AMT_E_UNREACHABLE;
    /* Someone may have refreshed while we waited for the device: claim() only
     * returns OWNED when the cache was stale at that moment, so refresh now. */
    c = amt_client_create(q->r->pool, d, rf_cfg_amt_timeout_ms(q->cfg));
    memset(out, 0, sizeof(*out));
    rc = c ? amt_get_state_with(c, known.identity_valid ? &known : NULL, out, err, sizeof(err))
           : AMT_E_PROTOCOL;
    if (c && *amt_client_tls(c))
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r, "AMT %s (%s): WS-Man over %s%s",
                      d->system_id, d->host, amt_client_tls(c),
                      d->tls_legacy ? " (AmtTLSLegacy)" : "");
    if (c)
        amt_client_destroy(c);
    if (rc == AMT_E_IDENTITY)
        log_identity(q, d, err);
    else if (rc != AMT_OK)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, q->r, "AMT %s (%s): state refresh failed: %s",
                      d->system_id, d->host, err[0] ? err : "error");
    if (rc != AMT_OK && err[0])
        apr_table_set(q->r->notes, RF_NOTE_AMT_WHY, err);
    unclaim(q, d, rc == AMT_OK ? out : NULL, rc, err, 0);
    return rc;
}

int rf_device_acquire(rf_req *q, const amt_device *d, amt_client **client)
{
    amt_state unused;
    int failed_rc;
    *client = NULL;
    if (claim(q, d, 0, &unused, &failed_rc, NULL) != CLAIM_OWNED)
        return AMT_E_UNREACHABLE;
    *client = amt_client_create(q->r->pool, d, rf_cfg_amt_timeout_ms(q->cfg));
    if (!*client) {
        unclaim(q, d, NULL, AMT_OK, NULL, 1);
        return AMT_E_PROTOCOL;
    }
    /* Whatever comes next changes the device: make sure it is the right machine
     * first (one Get), even when the cached state is fresh. */
    char err[256] = "";
    int rc = amt_verify_identity(*client, err, sizeof(err));
    ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, q->r, "AMT %s: identity check before a change: %s",
                  d->system_id, amt_rc_name(rc));
    if (rc != AMT_OK) {
        if (rc == AMT_E_IDENTITY)
            log_identity(q, d, err);
        amt_client_destroy(*client);
        *client = NULL;
        unclaim(q, d, NULL, rc, err, 1);
        return rc;
    }
    return AMT_OK;
}

void rf_device_release(rf_req *q, const amt_device *d, amt_client *client)
{
    if (client)
        amt_client_destroy(client);
    unclaim(q, d, NULL, AMT_OK, NULL, 1);
}

/* 503 + Retry-After whose Resolution carries why the device could not be reached
 * (a refused plain port with the AmtTLS hint, a TLS refusal naming AmtTLSLegacy or
 * the pin...): the operator reading the response learns what to change. */
static int amt_unavailable(rf_req *q, const char *why)
{
    char secs[16];
    json_t *m;
    if (!why || !*why)
        return rf_unavailable(q, rf_retry_after(q->cfg));
    snprintf(secs, sizeof(secs), "%d", rf_retry_after(q->cfg) < 1 ? 1 : rf_retry_after(q->cfg));
    apr_table_setn(q->r->headers_out, "Retry-After", apr_pstrdup(q->r->pool, secs));
    m = rf_msg(NULL, "ServiceTemporarilyUnavailable", secs);
    json_object_set_new(m, "Resolution", json_string(apr_psprintf(q->r->pool, "AMT: %s", why)));
    return rf_send_errors(q, HTTP_SERVICE_UNAVAILABLE, json_pack("[o]", m));
}

/* 503 whose message says why: the address leads to another machine. The
 * ExtendedInfo keeps the Base registry's ServiceTemporarilyUnavailable. */
static int identity_error(rf_req *q, const amt_device *d)
{
    int secs = rf_retry_after(q->cfg);
    const char *s = apr_itoa(q->r->pool, secs);
    apr_table_setn(q->r->headers_out, "Retry-After", s);
    json_t *o = json_pack(
        "{s:{s:s, s:s, s:[o]}}", "error", "code", RF_BASE_REGISTRY ".ServiceTemporarilyUnavailable",
        "message",
        apr_psprintf(q->r->pool,
                     "Identity mismatch: the AMT device at %s does not report this system's "
                     "platform GUID (%s); nothing is sent to it until it does (see the error log)",
                     d->host, d->system_id),
        "@Message.ExtendedInfo", rf_msg(NULL, "ServiceTemporarilyUnavailable", s));
    rf_send_json(q, HTTP_SERVICE_UNAVAILABLE, o, 0);
    return DONE;
}

int rf_amt_error(rf_req *q, const amt_device *d, int rc, const char *err)
{
    const char *why = err && *err ? err : apr_table_get(q->r->notes, RF_NOTE_AMT_WHY);
    switch (rc) {
    case AMT_E_UNREACHABLE:
    case AMT_E_TLS:
        /* a TLS refusal is the device's (or its firmware's) answer, not the client's */
        return amt_unavailable(q, why);
    case AMT_E_AUTH:
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r,
                      "AMT %s (%s) refused our credentials: check AmtUser/AmtPassword",
                      d->system_id, d->host);
        return rf_error(q, HTTP_BAD_GATEWAY, "ResourceAtUriUnauthorized",
                        apr_psprintf(q->r->pool, "/redfish/v1/Managers/%s", d->system_id),
                        "AMT rejected the configured credentials");
    case AMT_E_TRANSIENT:
        /* a bodiless 400 from the firmware: nothing happened, asking again works */
        return rf_unavailable(q, 1);
    case AMT_E_IDENTITY:
        return identity_error(q, d);
    case AMT_E_UNSUPPORTED:
        return rf_error(q, HTTP_BAD_REQUEST, "ActionNotSupported", err && *err ? err : "feature");
    default:
        if (err && *err)
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, q->r, "AMT %s: %s", d->system_id, err);
        return rf_error(q, HTTP_BAD_GATEWAY, "OperationFailed");
    }
}
