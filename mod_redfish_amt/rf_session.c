/* Session table operations over the shared store (see rf_session.h). Every
 * function takes the store lock itself and never blocks while holding it. */
#include "rf_session.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "rf_privileges.h"
#include "rf_store.h"
#include "rf_token.h"

/* Server-wide, set in post_config (children inherit them); see rf_session_limits. */
static int per_user_cap, admin_reserve;

void rf_session_limits(int sessions_per_user, int reserve_for_admins)
{
    per_user_cap = sessions_per_user;
    admin_reserve = reserve_for_admins;
}

static rf_settings_slot *settings_slot(void)
{
    return rf_store_slot(RF_TABLE_SETTINGS, 0);
}

void rf_session_settings_init(int config_default)
{
    rf_settings_slot *s;
    if (rf_store_lock() != 0)
        return;
    s = settings_slot();
    if (s && (s->config_default != config_default || s->session_timeout <= 0)) {
        s->config_default = config_default;
        s->session_timeout = config_default;
    }
    rf_store_unlock();
}

int rf_session_timeout_get(void)
{
    int v = 0;
    if (rf_store_lock() != 0)
        return 0;
    if (settings_slot())
        v = settings_slot()->session_timeout;
    rf_store_unlock();
    return v;
}

int rf_session_timeout_set(int seconds)
{
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    if (settings_slot())
        settings_slot()->session_timeout = seconds;
    rf_store_unlock();
    return RF_SESS_OK;
}

/* Under the lock: is slot s live now? Frees it when it idled out. */
static int live(rf_session_slot *s, apr_time_t now, int timeout)
{
    if (!s || s->last_seen == 0)
        return 0;
    if (timeout > 0 && now - s->last_seen > apr_time_from_sec(timeout)) {
        memset(s, 0, sizeof(*s));
        return 0;
    }
    return 1;
}

static void to_info(const rf_session_slot *s, rf_session_info *out)
{
    if (!out)
        return;
    memcpy(out->id, s->id, sizeof(out->id));
    memcpy(out->user, s->user, sizeof(out->user));
    out->role = s->role;
    out->created = s->created;
    memcpy(out->origin, s->origin, sizeof(out->origin));
}

static int current_timeout(void)
{
    rf_settings_slot *st = settings_slot();
    return st ? st->session_timeout : 0;
}

int rf_session_create(const char *user, int role, const char *origin, int max_sessions,
                      rf_session_info *out, char token_out[RF_SESSION_TOKEN_LEN + 1])
{
    return rf_session_create_ex(user, role, origin, max_sessions, out, token_out, NULL);
}

int rf_session_create_ex(const char *user, int role, const char *origin, int max_sessions,
                         rf_session_info *out, char token_out[RF_SESSION_TOKEN_LEN + 1],
                         char evicted[33])
{
    unsigned char raw[32];
    char id[33];
    rf_session_slot fresh, *free_slot = NULL;
    apr_time_t now = apr_time_now();
    unsigned n, used = 0, mine = 0;
    rf_session_slot *oldest_mine = NULL;
    int timeout, room;

    if (evicted)
        evicted[0] = '\0';
    if (strlen(user) >= sizeof(fresh.user) || RAND_bytes(raw, sizeof(raw)) != 1 ||
        rf_random_hex(id, 16) != 0 ||
        rf_b64url_encode(raw, sizeof(raw), token_out, RF_SESSION_TOKEN_LEN + 1) !=
            RF_SESSION_TOKEN_LEN)
        return RF_SESS_ERROR;
    memset(&fresh, 0, sizeof(fresh));
    SHA256((const unsigned char *)token_out, RF_SESSION_TOKEN_LEN, fresh.token_hash);
    OPENSSL_cleanse(raw, sizeof(raw));
    memcpy(fresh.id, id, sizeof(fresh.id));
    strcpy(fresh.user, user);
    fresh.role = role;
    fresh.created = fresh.last_seen = now;
    if (origin)
        snprintf(fresh.origin, sizeof(fresh.origin), "%s", origin);

    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    timeout = current_timeout();
    n = rf_store_slots(RF_TABLE_SESSIONS);
    for (unsigned i = 0; i < n; i++) {
        rf_session_slot *s = rf_store_slot(RF_TABLE_SESSIONS, i);
        if (live(s, now, timeout)) {
            used++;
            if (strcasecmp(s->user, user) == 0) {
                mine++;
                if (!oldest_mine || s->created < oldest_mine->created)
                    oldest_mine = s;
            }
        } else if (s && !free_slot) {
            free_slot = s;
        }
    }
    /* One user never holds more than its share: its oldest session gives way
     * (through the normal delete, so anything bound to it ends with it). */
    if (per_user_cap > 0 && (int)mine >= per_user_cap && oldest_mine) {
        if (evicted)
            memcpy(evicted, oldest_mine->id, sizeof(oldest_mine->id));
        memset(oldest_mine, 0, sizeof(*oldest_mine));
        if (!free_slot)
            free_slot = oldest_mine;
        used--;
    }
    /* The last admin_reserve slots are for Administrators only, so a flood of
     * lesser logins never locks the administrators out. */
    room = max_sessions - (role == RF_ROLE_ADMINISTRATOR ? 0 : admin_reserve);
    if (!free_slot || (int)used >= room) {
        rf_store_unlock();
        OPENSSL_cleanse(token_out, RF_SESSION_TOKEN_LEN + 1);
        return RF_SESS_FULL;
    }
    *free_slot = fresh;
    rf_store_unlock();
    to_info(&fresh, out);
    return RF_SESS_OK;
}

int rf_session_by_token(const char *token, rf_session_info *out)
{
    unsigned char h[32];
    apr_time_t now = apr_time_now();
    int rc = RF_SESS_NOT_FOUND, timeout;
    unsigned n;
    if (!token || strlen(token) != RF_SESSION_TOKEN_LEN)
        return RF_SESS_NOT_FOUND;
    SHA256((const unsigned char *)token, RF_SESSION_TOKEN_LEN, h);
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    timeout = current_timeout();
    n = rf_store_slots(RF_TABLE_SESSIONS);
    for (unsigned i = 0; i < n; i++) {
        rf_session_slot *s = rf_store_slot(RF_TABLE_SESSIONS, i);
        if (live(s, now, timeout) && CRYPTO_memcmp(s->token_hash, h, sizeof(h)) == 0) {
            s->last_seen = now;
            to_info(s, out);
            rc = RF_SESS_OK;
            break;
        }
    }
    rf_store_unlock();
    return rc;
}

/* Under the lock: the live slot with this id, or NULL. */
static rf_session_slot *find_id(const char *id, apr_time_t now)
{
    unsigned n = rf_store_slots(RF_TABLE_SESSIONS);
    int timeout = current_timeout();
    if (!id || strlen(id) != 32)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        rf_session_slot *s = rf_store_slot(RF_TABLE_SESSIONS, i);
        if (live(s, now, timeout) && strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

int rf_session_by_id(const char *id, rf_session_info *out)
{
    rf_session_slot *s;
    int rc = RF_SESS_NOT_FOUND;
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    if ((s = find_id(id, apr_time_now()))) {
        to_info(s, out);
        rc = RF_SESS_OK;
    }
    rf_store_unlock();
    return rc;
}

int rf_session_delete(const char *id)
{
    rf_session_slot *s;
    int rc = RF_SESS_NOT_FOUND;
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    if ((s = find_id(id, apr_time_now()))) {
        memset(s, 0, sizeof(*s));
        rc = RF_SESS_OK;
    }
    rf_store_unlock();
    return rc;
}

int rf_session_list(apr_pool_t *pool, apr_array_header_t **out)
{
    apr_time_t now = apr_time_now();
    unsigned n;
    int timeout;
    *out = apr_array_make(pool, 8, sizeof(rf_session_info));
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    timeout = current_timeout();
    n = rf_store_slots(RF_TABLE_SESSIONS);
    for (unsigned i = 0; i < n; i++) {
        rf_session_slot *s = rf_store_slot(RF_TABLE_SESSIONS, i);
        if (live(s, now, timeout))
            to_info(s, apr_array_push(*out));
    }
    rf_store_unlock();
    return RF_SESS_OK;
}
