/* Leaky-bucket rate records over a caller's slot table (see rf_rate.h). */
#include "rf_rate.h"

#include <string.h>

/* Drains s to now at its own rate; returns its level afterwards. */
static double drain(rf_rate_slot *s, int64_t now)
{
    if (now > s->at) {
        s->level -= (double)(now - s->at) * s->drain_per_us;
        if (s->level < 0)
            s->level = 0;
        s->at = now;
    }
    return s->level;
}

static rf_rate_slot *find(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                          int64_t now, rf_rate_slot **reusable)
{
    rf_rate_slot *free_slot = NULL;
    for (unsigned i = 0; i < t->n; i++) {
        rf_rate_slot *s = t->slot(t->ctx, i);
        if (!s)
            continue;
        if (s->key[0] && strcmp(s->key, key) == 0) {
            drain(s, now);
            if (lim->window_us > 0) /* the configured rate may have changed */
                s->drain_per_us = (double)lim->limit / (double)lim->window_us;
            return s;
        }
        if (!free_slot && (!s->key[0] || drain(s, now) <= 0))
            free_slot = s;
    }
    if (reusable)
        *reusable = free_slot;
    return NULL;
}

static int seconds_until_room(const rf_rate_slot *s, const rf_rate_limit *lim)
{
    double excess = s ? s->level + 1 - lim->limit : 1;
    double us = excess * (double)lim->window_us / (lim->limit ? lim->limit : 1);
    int sec = (int)((us + 999999.0) / 1e6);
    return sec < 1 ? 1 : sec;
}

int rf_rate_take(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                 int64_t now_us, int *retry_s)
{
    rf_rate_slot *reusable = NULL, *s = find(t, key, lim, now_us, &reusable);
    if (retry_s)
        *retry_s = 0;
    if (!s) {
        if (!reusable) {
            if (retry_s)
                *retry_s = seconds_until_room(NULL, lim);
            return RF_RATE_FULL;
        }
        s = reusable;
        memset(s, 0, sizeof(*s));
        strncpy(s->key, key, sizeof(s->key) - 1);
        s->at = now_us;
        s->drain_per_us = lim->window_us > 0 ? (double)lim->limit / (double)lim->window_us : 0;
    }
    if (s->level + 1 > lim->limit) {
        if (retry_s)
            *retry_s = seconds_until_room(s, lim);
        return RF_RATE_OVER;
    }
    s->level += 1;
    return RF_RATE_OK;
}

void rf_rate_give(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                  int64_t now_us)
{
    rf_rate_slot *s = find(t, key, lim, now_us, NULL);
    if (s) {
        s->level -= 1;
        if (s->level <= 0)
            memset(s, 0, sizeof(*s)); /* nothing left to remember */
    }
}

double rf_rate_level(const rf_rate_table *t, const char *key, const rf_rate_limit *lim,
                     int64_t now_us)
{
    rf_rate_slot *s = find(t, key, lim, now_us, NULL);
    return s ? s->level : 0;
}

int rf_rate_key(char out[RF_RATE_KEY_LEN], const char *prefix, const char *s)
{
    size_t p = strlen(prefix), n = strlen(s);
    if (p + n >= RF_RATE_KEY_LEN)
        return -1;
    memcpy(out, prefix, p);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        out[p + i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[p + n] = '\0';
    return 0;
}
