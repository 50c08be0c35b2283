/* Login throttling (httpd side): failed logins are a rate per user name
 * (case-folded) and per client address, kept in the shared store with the
 * rf_rate core; over budget, a login is refused at once (429 + Retry-After),
 * never slowed by a sleep that would hold a worker. Password checks in flight are
 * capped per process. See docs/security-quotas.md. */
#ifndef RF_THROTTLE_H
#define RF_THROTTLE_H

#include "rf_http.h"
#include "rf_rate.h"

typedef struct rf_login_ticket {
    char user_key[RF_RATE_KEY_LEN];
    char client_key[RF_RATE_KEY_LEN];
    int counted;        /* both keys hold one event for this attempt */
    int in_flight;      /* holds one of the process's password-check places */
} rf_login_ticket;

enum { RF_THROTTLE_OK = 0, RF_THROTTLE_OVER = 1, RF_THROTTLE_BUSY = 2 };

/* Before the password check: counts the attempt against the user and the
 * client (so concurrent guesses are counted before any of them is checked) and
 * takes a password-check place. RF_THROTTLE_OK, or OVER / BUSY with *retry_s. */
int rf_login_admit(rf_req *q, const char *user, rf_login_ticket *t, int *retry_s);
/* After the check: a right password gives the attempt back; frees the place. */
void rf_login_done(rf_req *q, rf_login_ticket *t, int success);

#endif
