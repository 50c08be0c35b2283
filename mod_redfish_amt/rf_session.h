/* Redfish sessions in the shared store. Only SHA-256(X-Auth-Token) is kept, so
 * neither the shared memory nor its persist file ever holds a usable token. */
#ifndef RF_SESSION_H
#define RF_SESSION_H

#include "apr_time.h"
#include "apr_tables.h"

#define RF_SESSION_TOKEN_LEN 43  /* 32 random bytes, base64url */
#define RF_SCOPE_LEN 32          /* SHA-256 of where a session is valid (rf_scope.h) */

typedef struct rf_session_slot {
    apr_time_t last_seen;           /* 0: free slot */
    apr_time_t created;
    unsigned char token_hash[32];
    char id[33];
    char user[65];
    int role;
    int wrong_codes;                /* unused: wrong consent codes are counted per device now */
    char origin[48];                /* client address at login */
    /* revocation (docs/security-model.md): where the session is valid and when its
       user was last asked about again */
    unsigned char scope[RF_SCOPE_LEN]; /* rf_scope_of the vhost + auth config at login */
    apr_time_t user_checked;        /* last time the providers confirmed user and role */
} rf_session_slot;

typedef struct rf_settings_slot {
    int session_timeout;            /* current SessionService.SessionTimeout */
    int config_default;             /* RedfishSessionTimeout it was derived from */
    /* bumped whenever a session ends (deleted, expired, user revoked): relay
       streams read it without the lock and look their session up only when it moved */
    volatile apr_uint32_t ended_generation;
    int absolute_timeout;           /* current SessionService.AbsoluteSessionTimeout */
    int absolute_default;           /* RedfishAbsoluteSessionTimeout it was derived from */
} rf_settings_slot;

typedef struct rf_session_info {
    char id[33];
    char user[65];
    int role;
    apr_time_t created;
    char origin[48];
    apr_time_t user_checked;        /* see rf_session_slot */
} rf_session_info;

enum { RF_SESS_OK = 0, RF_SESS_ERROR = -1, RF_SESS_FULL = -2, RF_SESS_NOT_FOUND = -3,
       RF_SESS_LOCKED = -4 };

/* post_config: adopts the configured default SessionTimeout unless a PATCHed value
 * for the same default survived the restart. */
void rf_session_settings_init(int config_default);
int rf_session_timeout_get(void);
int rf_session_timeout_set(int seconds);

/* The same for AbsoluteSessionTimeout (a session's lifetime whatever its activity). */
void rf_session_absolute_init(int config_default);
int rf_session_absolute_get(void);
int rf_session_absolute_set(int seconds);

/* Creates a session; token_out receives the X-Auth-Token (the only copy). */
int rf_session_create(const char *user, int role, const char *origin, int max_sessions,
                      rf_session_info *out, char token_out[RF_SESSION_TOKEN_LEN + 1]);
/* Same, and evicted (if not NULL) receives the id of the user's oldest session
 * that gave way to the per-user cap, or "" (see rf_session_limits). */
int rf_session_create_ex(const char *user, int role, const char *origin, int max_sessions,
                         rf_session_info *out, char token_out[RF_SESSION_TOKEN_LEN + 1],
                         char evicted[33]);
/* post_config: sessions one user may hold (its oldest gives way to a new login;
 * 0 = no cap) and slots only Administrators may take. */
void rf_session_limits(int sessions_per_user, int reserve_for_admins);

/* Finds the live session for a token and refreshes its idle timer. */
int rf_session_by_token(const char *token, rf_session_info *out);
/* Finds a live session by id (no refresh). */
int rf_session_by_id(const char *id, rf_session_info *out);
int rf_session_delete(const char *id);
/* Live sessions, as rf_session_info, into a new array from pool. */
int rf_session_list(apr_pool_t *pool, apr_array_header_t **out);

/* post_config: clears session records that this module cannot have written (an
 * edited or damaged file reloaded across a restart): a role out of range, strings
 * without their NUL, an id that is not 32 hex digits. Returns how many. */
int rf_session_drop_invalid(void);

/* ---- revocation (docs/security-model.md, "Revocation") ---- */
/* Records where the session may be used (set once, right after rf_session_create). */
int rf_session_set_scope(const char *id, const unsigned char scope[RF_SCOPE_LEN]);
/* Like rf_session_by_token, but a session made under another scope is not found
 * (and not refreshed); scope NULL: any. */
int rf_session_by_token_in(const char *token, const unsigned char scope[RF_SCOPE_LEN],
                           rf_session_info *out);
/* Counter of ended sessions; read without the lock (one aligned 32-bit word). */
apr_uint32_t rf_session_ended_generation(void);
/* Is session id live? RF_SESS_OK and *until: the time until which it stays live
 * unless something ends it (idle and absolute deadlines); *user_checked: when its
 * user was last confirmed. */
int rf_session_status(const char *id, apr_time_t *until, apr_time_t *user_checked,
                      rf_session_info *out);
/* Marks the user of session id as confirmed now. */
int rf_session_user_confirmed(const char *id);

#endif
