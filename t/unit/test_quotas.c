/* Unit tests for the httpd-free quota cores: rate records (login throttling) and
 * the redirection-token ledger (issuance quotas, single use). */
#include <string.h>

#include "rf_rate.h"
#include "rf_token_ledger.h"
#include "tap.h"

#define SEC 1000000LL

static rf_rate_slot rate_slots[8];
static rf_rate_slot *rate_at(void *ctx, unsigned i) { (void)ctx; return &rate_slots[i]; }
static rf_ledger_slot ledger_slots[12];
static rf_ledger_slot *ledger_at(void *ctx, unsigned i) { (void)ctx; return &ledger_slots[i]; }

static void rate_tests(void)
{
    rf_rate_table t = {rate_at, NULL, 8};
    rf_rate_limit user = {5, 60 * SEC}, client = {30, 60 * SEC};
    char key[RF_RATE_KEY_LEN], key2[RF_RATE_KEY_LEN];
    int64_t now = 1000 * SEC;
    int retry, rc = 0, n;

    /* a rate, not a sleep: 5 events fit, the 6th is refused with Retry-After */
    rf_rate_key(key, "u:", "Admin");
    is_str(key, "u:admin", "user keys are case-folded");
    rf_rate_key(key2, "u:", "ADMIN");
    is_str(key2, key, "case variants share one key");
    ok(rf_rate_key(key2, "u:", "0123456789012345678901234567890123456789012345678901234567890123"
                   "4567890123456789") == -1, "an over-long key is refused");
    for (n = 0; n < 5; n++)
        rc |= rf_rate_take(&t, key, &user, now, &retry);
    is_int(rc, RF_RATE_OK, "5 events within the budget");
    is_int(rf_rate_take(&t, key, &user, now, &retry), RF_RATE_OVER, "6th refused");
    is_int(retry, 12, "Retry-After: one event drains in 60/5 = 12 s");
    is_int(rf_rate_take(&t, key, &user, now + 11 * SEC, &retry), RF_RATE_OVER, "still refused at 11 s");
    is_int(rf_rate_take(&t, key, &user, now + 12 * SEC, &retry), RF_RATE_OK, "room again at 12 s");
    /* giving back (a right password) makes room for one */
    rf_rate_give(&t, key, &user, now + 12 * SEC);
    is_int(rf_rate_take(&t, key, &user, now + 12 * SEC, &retry), RF_RATE_OK, "given back: one more fits");

    /* keys of different rates in one table drain at their own rate */
    for (n = 0; n < 30; n++)
        rf_rate_take(&t, "c:127.0.0.1", &client, now, NULL);
    is_int(rf_rate_take(&t, "c:127.0.0.1", &client, now, &retry), RF_RATE_OVER, "client budget 30");
    is_int(retry, 2, "client Retry-After 2 s");
    ok(rf_rate_level(&t, "c:127.0.0.1", &client, now + 30 * SEC) > 14.9 &&
       rf_rate_level(&t, "c:127.0.0.1", &client, now + 30 * SEC) < 15.1, "drains at its own rate");

    /* no eviction of a hot record: with every slot hot, a new key is refused */
    memset(rate_slots, 0, sizeof(rate_slots));
    for (n = 0; n < 5; n++)
        rf_rate_take(&t, key, &user, now, NULL);
    for (n = 0; n < 7; n++) {
        char made_up[16];
        snprintf(made_up, sizeof(made_up), "u:x%d", n);
        rc = rf_rate_take(&t, made_up, &user, now, NULL);
    }
    is_int(rc, RF_RATE_OK, "7 made-up names fill the other slots");
    is_int(rf_rate_take(&t, "u:one-too-many", &user, now, &retry), RF_RATE_FULL,
           "table full of hot records: a new name is refused");
    ok(retry >= 1, "with a Retry-After");
    is_int(rf_rate_take(&t, key, &user, now, NULL), RF_RATE_OVER, "the hot record kept its count");
    /* a cold record is reused */
    is_int(rf_rate_take(&t, "u:later", &user, now + 61 * SEC, NULL), RF_RATE_OK,
           "once cold, a slot is reused");
}

static void ledger_tests(void)
{
    rf_ledger l = {ledger_at, NULL, 12};
    rf_token_quota q = {4, 2, 6, 3};
    int64_t now = 100000;
    int retry, rc;
    char jti[33];

    /* unspent cap per session: 2 */
    is_int(rf_ledger_issue(&l, "j1", "s1", "op", now + 30, now, &q, &retry), RF_LEDGER_OK, "issue 1");
    is_int(rf_ledger_issue(&l, "j2", "s1", "op", now + 30, now, &q, &retry), RF_LEDGER_OK, "issue 2");
    is_int(rf_ledger_issue(&l, "j3", "s1", "op", now + 30, now, &q, &retry), RF_LEDGER_SESSION_OVER,
           "3rd unspent token of the session refused");
    is_int(retry, 30, "Retry-After: when the first unspent one expires");
    /* spending: single use; unknown ids refused */
    is_int(rf_ledger_spend(&l, "j1", now + 1), RF_LEDGER_OK, "first use");
    is_int(rf_ledger_spend(&l, "j1", now + 1), RF_LEDGER_SPENT, "replay refused");
    is_int(rf_ledger_spend(&l, "never", now + 1), RF_LEDGER_UNKNOWN, "never issued: refused");
    is_int(rf_ledger_issue(&l, "j3", "s1", "op", now + 30, now + 1, &q, &retry), RF_LEDGER_OK,
           "spent one makes room");
    rf_ledger_spend(&l, "j2", now + 1);
    rf_ledger_spend(&l, "j3", now + 1);
    is_int(rf_ledger_issue(&l, "j4", "s1", "op", now + 30, now + 2, &q, &retry), RF_LEDGER_OK, "4th in the minute");
    rf_ledger_spend(&l, "j4", now + 2);
    is_int(rf_ledger_issue(&l, "j5", "s1", "op", now + 30, now + 2, &q, &retry), RF_LEDGER_SESSION_OVER,
           "5th in the minute refused (4 per minute)");
    is_int(retry, 58, "Retry-After: when the first issuance leaves the minute");
    /* the per-user quota spans the user's sessions */
    is_int(rf_ledger_issue(&l, "k1", "s2", "op", now + 30, now + 2, &q, &retry), RF_LEDGER_OK,
           "another session of the same user");
    is_int(rf_ledger_issue(&l, "k2", "s2", "op", now + 30, now + 2, &q, &retry), RF_LEDGER_OK, "...");
    is_int(rf_ledger_issue(&l, "k3", "s3", "op", now + 30, now + 2, &q, &retry), RF_LEDGER_USER_OVER,
           "user at 6 per minute: refused in any session");
    /* others are not affected */
    is_int(rf_ledger_issue(&l, "a1", "s9", "admin", now + 30, now + 2, &q, &retry), RF_LEDGER_OK,
           "another user still gets a token");
    /* a full table refuses the newcomer but never drops a recorded token */
    for (rc = RF_LEDGER_OK; rc == RF_LEDGER_OK;) {
        static int k;
        snprintf(jti, sizeof(jti), "f%d", k);
        char sid[8];
        snprintf(sid, sizeof(sid), "t%d", k++);
        rc = rf_ledger_issue(&l, jti, sid, sid, now + 30, now + 2, &q, &retry);
    }
    is_int(rc, RF_LEDGER_FULL, "table full: refused");
    is_int(rf_ledger_spend(&l, "a1", now + 3), RF_LEDGER_OK, "recorded tokens still spend");
    /* entries are forgotten once expired and out of the window */
    is_int(rf_ledger_issue(&l, "late", "s1", "op", now + 200, now + 70, &q, &retry), RF_LEDGER_OK,
           "a minute later the session issues again");
    is_int(rf_ledger_spend(&l, "j1", now + 70), RF_LEDGER_UNKNOWN, "expired ids are forgotten");

    ok(rf_ledger_slots_needed(12, 30, 30) >= 12 * 30, "table sized from sessions x per-minute quota");
    ok(rf_ledger_slots_needed(12, 30, 600) >= 12 * 30 * 10, "... times the lifetime in minutes");
}

int main(void)
{
    rate_tests();
    ledger_tests();
    return tap_done();
}
