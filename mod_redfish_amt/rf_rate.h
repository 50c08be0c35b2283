/* Rate records keyed by a short string (a user name, a client address): an
 * httpd-free core over a caller's table of slots, so the same logic runs on the
 * shared store in the module and on a plain array in the unit tests.
 *
 * Each record is a leaky bucket: `level` rises by one per counted event and
 * drains at `limit` per `window`; an event is allowed while level + 1 <= limit.
 * A record is "hot" while its level is above zero. Hot records are never
 * reused for another key: when no slot is free or cold, a new key is refused
 * (conservatively) instead of evicting someone's history. See
 * docs/security-quotas.md. */
#ifndef RF_RATE_H
#define RF_RATE_H

#include <stddef.h>
#include <stdint.h>

#define RF_RATE_KEY_LEN 80

typedef struct rf_rate_slot {
    char key[RF_RATE_KEY_LEN];  /* "" = free */
    double level;               /* events not yet drained */
    double drain_per_us;        /* this key's own rate (keys of one table may differ) */
    int64_t at;                 /* when level was last brought up to date (us) */
} rf_rate_slot;

/* The caller's table: slot i, or NULL. */
typedef struct rf_rate_table {
    rf_rate_slot *(*slot)(void *ctx, unsigned i);
    void *ctx;
    unsigned n;
} rf_rate_table;

typedef struct rf_rate_limit {
    unsigned limit;             /* events per window (also the burst) */
    int64_t window_us;
} rf_rate_limit;

enum { RF_RATE_OK = 0, RF_RATE_OVER = 1, RF_RATE_FULL = 2 };

/* Counts one event for key. RF_RATE_OK when it fits; RF_RATE_OVER when the key
 * is over its budget (nothing counted); RF_RATE_FULL when the key has no record
 * and every slot is hot. *retry_s (may be NULL) gets whole seconds until one
 * more event would fit (at least 1). */
int rf_rate_take(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                 int64_t now_us, int *retry_s);
/* Gives back one event (e.g. a login that turned out right). */
void rf_rate_give(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                  int64_t now_us);
/* The key's current level (0 when it has no record), for tests and logs. */
double rf_rate_level(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                     int64_t now_us);

/* Writes prefix + s, ASCII-lower-cased, into out (RF_RATE_KEY_LEN); -1 when too long. */
int rf_rate_key(char out[RF_RATE_KEY_LEN], const char *prefix, const char *s);

#endif
