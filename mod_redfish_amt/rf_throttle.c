/* Login throttling over the shared store (see rf_throttle.h). */
#include "rf_throttle.h"

#include <string.h>

#include "apr_atomic.h"
#include "http_log.h"

#include "rf_store.h"

APLOG_USE_MODULE(redfish_amt);

/* password checks running in this process */
static apr_uint32_t checks_in_flight;

static rf_rate_slot *rate_slot(void *ctx, unsigned i)
{
    (void)ctx;
    return rf_store_slot(RF_TABLE_LOGINFAIL, i);
}

static void limits(const rf_settings *cfg, rf_rate_limit *user, rf_rate_limit *client)
{
    user->limit = (unsigned)rf_cfg_login_user_limit(cfg);
    user->window_us = apr_time_from_sec(rf_cfg_login_user_window(cfg));
    client->limit = (unsigned)rf_cfg_login_client_limit(cfg);
    client->window_us = apr_time_from_sec(rf_cfg_login_client_window(cfg));
}

static int count_attempt(rf_req *q, rf_login_ticket *t, int *retry_s)
{
    rf_rate_table tbl;
    rf_rate_limit user, client;
    apr_time_t now = apr_time_now();
    int rc;
    limits(q->cfg, &user, &client);
    if (rf_store_lock() != 0) {
        *retry_s = 1;
        return RF_RATE_FULL; /* fail closed */
    }
    tbl.slot = rate_slot;
    tbl.ctx = NULL;
    tbl.n = rf_store_slots(RF_TABLE_LOGINFAIL);
    rc = rf_rate_take(&tbl, t->client_key, &client, now, retry_s);
    if (rc == RF_RATE_OK) {
        rc = rf_rate_take(&tbl, t->user_key, &user, now, retry_s);
        if (rc != RF_RATE_OK) /* the client is not to blame for another's budget */
            rf_rate_give(&tbl, t->client_key, &client, now);
    }
    rf_store_unlock();
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, q->r,
                  "Redfish login throttle: %s -> %s", t->user_key,
                  rc == RF_RATE_OK ? "counted" : rc == RF_RATE_OVER ? "over budget" : "table full");
    return rc;
}

int rf_login_admit(rf_req *q, const char *user, rf_login_ticket *t, int *retry_s)
{
    const char *addr = q->r->useragent_ip ? q->r->useragent_ip : "?";
    int rc;
    memset(t, 0, sizeof(*t));
    *retry_s = 0;
    if (rf_rate_key(t->user_key, "u:", user) != 0 || rf_rate_key(t->client_key, "c:", addr) != 0)
        return RF_THROTTLE_OVER; /* callers refuse over-long names before this */
    rc = count_attempt(q, t, retry_s);
    if (rc != RF_RATE_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, q->r,
                      "Redfish login refused for '%s' from %s: %s (retry in %d s)",
                      ap_escape_logitem(q->r->pool, user), addr,
                      rc == RF_RATE_OVER ? "too many failed logins" : "throttle table full",
                      *retry_s);
        return RF_THROTTLE_OVER;
    }
    t->counted = 1;
    if (apr_atomic_inc32(&checks_in_flight) >= (apr_uint32_t)rf_cfg_login_concurrency(q->cfg)) {
        apr_atomic_dec32(&checks_in_flight);
        rf_login_done(q, t, 1); /* not checked: this attempt does not count */
        *retry_s = 1;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r,
                      "Redfish login refused: %d password checks already running in this process",
                      rf_cfg_login_concurrency(q->cfg));
        return RF_THROTTLE_BUSY;
    }
    t->in_flight = 1;
    return RF_THROTTLE_OK;
}

void rf_login_done(rf_req *q, rf_login_ticket *t, int success)
{
    if (t->in_flight) {
        apr_atomic_dec32(&checks_in_flight);
        t->in_flight = 0;
    }
    if (t->counted && success && rf_store_lock() == 0) {
        rf_rate_table tbl = {rate_slot, NULL, rf_store_slots(RF_TABLE_LOGINFAIL)};
        rf_rate_limit user, client;
        apr_time_t now = apr_time_now();
        limits(q->cfg, &user, &client);
        rf_rate_give(&tbl, t->user_key, &user, now);
        rf_rate_give(&tbl, t->client_key, &client, now);
        rf_store_unlock();
    }
    t->counted = 0;
}
