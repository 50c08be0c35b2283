/* Session table operations over the shared store (see rf_session.h). Every
 * function takes the store lock itself and never blocks while holding it. */
#include "rf_session.h"

#include <stddef.h>
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

/* Under the lock: the absolute lifetime in seconds (0: none). */
static int current_absolute(void)
{
    rf_settings_slot *st = settings_slot();
    return st ? st->absolute_timeout : 0;
}

/* The runtime-writable settings (SessionTimeout, AbsoluteSessionTimeout) are int
 * fields of the settings slot, each with the directive value it was derived
 * from; these helpers take the field's offset. */
#define SETTING(slot, off) (*(int *)((char *)(slot) + (off)))

/* post_config: adopts config_default unless a PATCHed value for the same default
 * survived the restart. */
static void setting_init(size_t value, size_t derived_from, int config_default)
{
    rf_settings_slot *s;
    if (rf_store_lock() != 0)
        return;
    s = settings_slot();
    if (s && (SETTING(s, derived_from) != config_default || SETTING(s, value) <= 0)) {
        SETTING(s, derived_from) = config_default;
        SETTING(s, value) = config_default;
    }
    rf_store_unlock();
}

static int setting_get(size_t value)
{
    int v = 0;
    if (rf_store_lock() != 0)
        return 0;
    if (settings_slot())
        v = SETTING(settings_slot(), value);
    rf_store_unlock();
    return v;
}

static int setting_set(size_t value, int seconds)
{
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    if (settings_slot())
        SETTING(settings_slot(), value) = seconds;
    rf_store_unlock();
    return RF_SESS_OK;
}

#define TIMEOUT offsetof(rf_settings_slot, session_timeout)
#define ABSOLUTE offsetof(rf_settings_slot, absolute_timeout)

void rf_session_settings_init(int config_default)
{
    setting_init(TIMEOUT, offsetof(rf_settings_slot, config_default), config_default);
}

int rf_session_timeout_get(void) { return setting_get(TIMEOUT); }
int rf_session_timeout_set(int seconds) { return setting_set(TIMEOUT, seconds); }

void rf_session_absolute_init(int config_default)
{
    setting_init(ABSOLUTE, offsetof(rf_settings_slot, absolute_default), config_default);
}

int rf_session_absolute_get(void) { return setting_get(ABSOLUTE); }
int rf_session_absolute_set(int seconds) { return setting_set(ABSOLUTE, seconds); }

/* Under the lock: frees a session slot and tells the relay's streams that a
 * session ended (they then look theirs up). */
static void end_session(rf_session_slot *s)
{
    rf_settings_slot *st = settings_slot();
    memset(s, 0, sizeof(*s));
    if (st)
        st->ended_generation++;
}

/* Under the lock: is slot s live now? Frees it when it idled out or outlived its
 * absolute lifetime. */
static int live(rf_session_slot *s, apr_time_t now, int timeout)
{
    int absolute = current_absolute();
    if (!s || s->last_seen == 0)
        return 0;
    if ((timeout > 0 && now - s->last_seen > apr_time_from_sec(timeout)) ||
        (absolute > 0 && now - s->created > apr_time_from_sec(absolute))) {
        end_session(s);
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
    out->user_checked = s->user_checked;
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
        end_session(oldest_mine); /* its relay streams end with it */
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
    return rf_session_by_token_in(token, NULL, out);
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

/* Runs act on the live session id under the lock: RF_SESS_OK when it exists,
 * RF_SESS_NOT_FOUND, or RF_SESS_ERROR when the store is unavailable. */
typedef void session_act(rf_session_slot *s, apr_time_t now, void *ctx);
static int with_session(const char *id, session_act *act, void *ctx)
{
    rf_session_slot *s;
    apr_time_t now = apr_time_now();
    int rc = RF_SESS_NOT_FOUND;
    if (rf_store_lock() != 0)
        return RF_SESS_ERROR;
    if ((s = find_id(id, now))) {
        act(s, now, ctx);
        rc = RF_SESS_OK;
    }
    rf_store_unlock();
    return rc;
}

static void copy_out(rf_session_slot *s, apr_time_t now, void *out)
{
    to_info(s, out);
}

static void end_it(rf_session_slot *s, apr_time_t now, void *ctx)
{
    end_session(s);
}

int rf_session_by_id(const char *id, rf_session_info *out)
{
    return with_session(id, copy_out, out);
}

int rf_session_delete(const char *id)
{
    return with_session(id, end_it, NULL);
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

static int terminated(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static int record_valid(const rf_session_slot *s)
{
    size_t i;
    if (!terminated(s->id, sizeof(s->id)) || !terminated(s->user, sizeof(s->user)) ||
        !terminated(s->origin, sizeof(s->origin)) || strlen(s->id) != 32 || !s->user[0] ||
        s->role < RF_ROLE_ADMINISTRATOR || s->role >= RF_ROLE_COUNT || s->created <= 0 ||
        s->last_seen < s->created)
        return 0;
    for (i = 0; i < 32; i++)
        if (!strchr("0123456789abcdef", s->id[i]))
            return 0;
    return 1;
}

int rf_session_drop_invalid(void)
{
    int dropped = 0;
    unsigned n;
    if (rf_store_lock() != 0)
        return 0;
    n = rf_store_slots(RF_TABLE_SESSIONS);
    for (unsigned i = 0; i < n; i++) {
        rf_session_slot *s = rf_store_slot(RF_TABLE_SESSIONS, i);
        if (s && s->last_seen != 0 && !record_valid(s)) {
            memset(s, 0, sizeof(*s));
            dropped++;
        }
    }
    rf_store_unlock();
    return dropped;
}

/* ---- revocation ---- */

static void set_scope(rf_session_slot *s, apr_time_t now, void *scope)
{
    memcpy(s->scope, scope, RF_SCOPE_LEN);
    s->user_checked = now; /* the login itself asked the providers */
}

int rf_session_set_scope(const char *id, const unsigned char scope[RF_SCOPE_LEN])
{
    return with_session(id, set_scope, (void *)scope);
}

int rf_session_by_token_in(const char *token, const unsigned char scope[RF_SCOPE_LEN],
                           rf_session_info *out)
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
            /* a token of another vhost or auth configuration is no token here */
            if (!scope || CRYPTO_memcmp(s->scope, scope, RF_SCOPE_LEN) == 0) {
                s->last_seen = now;
                to_info(s, out);
                rc = RF_SESS_OK;
            }
            break;
        }
    }
    rf_store_unlock();
    return rc;
}

apr_uint32_t rf_session_ended_generation(void)
{
    rf_settings_slot *st = settings_slot();
    return st ? st->ended_generation : 0;
}

typedef struct {
    apr_time_t until, user_checked;
    rf_session_info *out;
} status_ctx;

static void status_of(rf_session_slot *s, apr_time_t now, void *ctx)
{
    status_ctx *c = ctx;
    int timeout = current_timeout(), absolute = current_absolute();
    apr_time_t t = timeout > 0 ? s->last_seen + apr_time_from_sec(timeout) : 0;
    if (absolute > 0 && (!t || s->created + apr_time_from_sec(absolute) < t))
        t = s->created + apr_time_from_sec(absolute);
    c->until = t;
    c->user_checked = s->user_checked;
    to_info(s, c->out);
}

int rf_session_status(const char *id, apr_time_t *until, apr_time_t *user_checked,
                      rf_session_info *out)
{
    status_ctx c = { 0, 0, out };
    int rc = with_session(id, status_of, &c);
    *until = c.until;
    *user_checked = c.user_checked;
    return rc;
}

static void confirmed(rf_session_slot *s, apr_time_t now, void *ctx)
{
    s->user_checked = now;
}

int rf_session_user_confirmed(const char *id)
{
    return with_session(id, confirmed, NULL);
}
