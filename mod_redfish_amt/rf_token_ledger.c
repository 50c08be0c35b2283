/* Redirection-token ledger with issuance quotas (see rf_token_ledger.h). */
#include "rf_token_ledger.h"

#include <string.h>

#define RF_LEDGER_MAX_SLOTS 65536u

/* An entry is kept while its token lives (to refuse a replay) and while it still
 * counts against the issuance window. */
static int64_t keep_until(const rf_ledger_slot *s)
{
    int64_t w = s->issued + RF_LEDGER_WINDOW_S;
    return s->exp > w ? s->exp : w;
}

typedef struct usage {
    unsigned in_window, unspent;
    int64_t window_free_at;   /* when the oldest issuance in the window leaves it */
    int64_t unspent_free_at;  /* when the first unspent token expires */
} usage;

static void count(usage *u, const rf_ledger_slot *s, int64_t now)
{
    int64_t w = s->issued + RF_LEDGER_WINDOW_S;
    if (w > now) {
        u->in_window++;
        if (!u->window_free_at || w < u->window_free_at)
            u->window_free_at = w;
    }
    if (!s->spent && s->exp > now) {
        u->unspent++;
        if (!u->unspent_free_at || s->exp < u->unspent_free_at)
            u->unspent_free_at = s->exp;
    }
}

/* 0 when u leaves room for one more, else the seconds until it does. */
static int over(const usage *u, unsigned per_min, unsigned unspent, int64_t now)
{
    int64_t wait = 0;
    if (per_min && u->in_window >= per_min)
        wait = u->window_free_at - now;
    if (unspent && u->unspent >= unspent && u->unspent_free_at - now > wait)
        wait = u->unspent_free_at - now;
    return wait > 0 ? (int)wait : (per_min && u->in_window >= per_min) ||
                                          (unspent && u->unspent >= unspent) ? 1 : 0;
}

int rf_ledger_issue(const rf_ledger *l, const char *jti, const char *sid, const char *user,
                    int64_t exp, int64_t now, const rf_token_quota *q, int *retry_s)
{
    usage by_session = {0}, by_user = {0};
    rf_ledger_slot *free_slot = NULL;
    int64_t first_free = 0;
    int wait;
    *retry_s = 0;
    for (unsigned i = 0; i < l->n; i++) {
        rf_ledger_slot *s = l->slot(l->ctx, i);
        if (!s)
            continue;
        if (s->exp && keep_until(s) <= now)
            memset(s, 0, sizeof(*s));
        if (!s->exp) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (!first_free || keep_until(s) < first_free)
            first_free = keep_until(s);
        if (strcmp(s->sid, sid) == 0)
            count(&by_session, s, now);
        if (strcmp(s->user, user) == 0)
            count(&by_user, s, now);
    }
    if ((wait = over(&by_session, q->session_per_min, q->session_unspent, now))) {
        *retry_s = wait;
        return RF_LEDGER_SESSION_OVER;
    }
    if ((wait = over(&by_user, q->user_per_min, q->user_unspent, now))) {
        *retry_s = wait;
        return RF_LEDGER_USER_OVER;
    }
    if (!free_slot) {
        *retry_s = first_free > now ? (int)(first_free - now) : 1;
        return RF_LEDGER_FULL;
    }
    memset(free_slot, 0, sizeof(*free_slot));
    strncpy(free_slot->jti, jti, sizeof(free_slot->jti) - 1);
    strncpy(free_slot->sid, sid, sizeof(free_slot->sid) - 1);
    strncpy(free_slot->user, user, sizeof(free_slot->user) - 1);
    free_slot->issued = now;
    free_slot->exp = exp > now ? exp : now + 1;
    return RF_LEDGER_OK;
}

int rf_ledger_spend(const rf_ledger *l, const char *jti, int64_t now)
{
    for (unsigned i = 0; i < l->n; i++) {
        rf_ledger_slot *s = l->slot(l->ctx, i);
        if (!s || !s->exp || strcmp(s->jti, jti) != 0)
            continue;
        if (s->exp <= now)
            return RF_LEDGER_UNKNOWN; /* the signature check refuses these first */
        if (s->spent)
            return RF_LEDGER_SPENT;
        s->spent = 1;
        return RF_LEDGER_OK;
    }
    return RF_LEDGER_UNKNOWN;
}

unsigned rf_ledger_slots_needed(unsigned max_sessions, unsigned session_per_min,
                                unsigned lifetime_s)
{
    unsigned long long minutes = (lifetime_s > RF_LEDGER_WINDOW_S ? lifetime_s : RF_LEDGER_WINDOW_S);
    unsigned long long n;
    minutes = (minutes + RF_LEDGER_WINDOW_S - 1) / RF_LEDGER_WINDOW_S + 1;
    n = (unsigned long long)max_sessions * session_per_min * minutes;
    if (n < 16)
        n = 16;
    return n > RF_LEDGER_MAX_SLOTS ? RF_LEDGER_MAX_SLOTS : (unsigned)n;
}
