/* The redirection-token ledger: every token id is recorded when the token is
 * issued, under per-session and per-user quotas, and the relay's check only marks
 * an existing entry as spent. So no caller can fill the table for others: a
 * session or user over its quota is refused at issuance (429 + Retry-After), and
 * the table is sized so that every session at its quota still fits.
 * httpd-free core over a caller's slot table (shared store in the module, a plain
 * array in the unit tests); the caller holds the store lock. See
 * docs/security-quotas.md. */
#ifndef RF_TOKEN_LEDGER_H
#define RF_TOKEN_LEDGER_H

#include <stdint.h>

#define RF_LEDGER_WINDOW_S 60    /* the "per minute" of the issuance quotas */

typedef struct rf_ledger_slot {
    char jti[33];
    int64_t exp;        /* seconds; 0 = free */
    int64_t issued;     /* seconds */
    char sid[33];       /* issuing session */
    char user[65];      /* issuing user, case-folded */
    int spent;
} rf_ledger_slot;

typedef struct rf_ledger {
    rf_ledger_slot *(*slot)(void *ctx, unsigned i);
    void *ctx;
    unsigned n;
} rf_ledger;

typedef struct rf_token_quota {
    unsigned session_per_min, session_unspent;
    unsigned user_per_min, user_unspent;
} rf_token_quota;

enum { RF_LEDGER_OK = 0, RF_LEDGER_SPENT = 1, RF_LEDGER_UNKNOWN = 2,
       RF_LEDGER_SESSION_OVER = 3, RF_LEDGER_USER_OVER = 4, RF_LEDGER_FULL = 5 };

/* Records a new token id for (sid, user) if both are within quota.
 * RF_LEDGER_OK, RF_LEDGER_SESSION_OVER, RF_LEDGER_USER_OVER or RF_LEDGER_FULL;
 * *retry_s gets the seconds until the refused party may try again. */
int rf_ledger_issue(const rf_ledger *l, const char *jti, const char *sid, const char *user,
                    int64_t exp, int64_t now, const rf_token_quota *q, int *retry_s);
/* Marks jti spent: RF_LEDGER_OK (first use), RF_LEDGER_SPENT (replay) or
 * RF_LEDGER_UNKNOWN (never issued here, or forgotten: refuse it too). */
int rf_ledger_spend(const rf_ledger *l, const char *jti, int64_t now);

/* Slots needed so that max_sessions sessions, each at its per-minute quota, always
 * fit with tokens that live lifetime_s. */
unsigned rf_ledger_slots_needed(unsigned max_sessions, unsigned session_per_min,
                                unsigned lifetime_s);

#endif
