/* Who is asking: X-Auth-Token sessions and HTTP Basic, passwords checked by the
 * configured Apache authn providers, roles from authz group providers. */
#ifndef RF_AUTH_H
#define RF_AUTH_H

#include "rf_http.h"

/* Fills q->user/role/privs/session_id. On failure sends 401/403 and returns the
 * status the handler must return; OK on success. */
int rf_authenticate(rf_req *q);

/* Sends 401 NoValidSession, with a `WWW-Authenticate: Basic` challenge unless the
 * request carries `X-Requested-With: XMLHttpRequest` (no browser login popup). */
int rf_unauthorized(rf_req *q);
/* When the authentication source (LDAP server, DBM file...) fails, not the user,
 * a login gets rf_unavailable (503 ServiceTemporarilyUnavailable) with this
 * Retry-After, so that clients retry instead of treating it as a bad password or a
 * server bug. */
#define RF_AUTH_SOURCE_RETRY_S 10

/* Checks user/password (with throttling of repeated failures) and finds the role.
 * Returns the role (>= 0), or -1 for bad credentials / no role, -2 on an internal error. */
int rf_login_check(rf_req *q, const char *user, const char *password);

/* Asks the providers again about user (no password, no throttling): the role
 * (>= 0); RF_ROLE_NONE (-1) when no RedfishRole rule grants it any more or, for
 * the file and dbm providers, when the user is no longer in the file; -2 when a
 * provider fails. docs/security-model.md, "Revocation". */
int rf_user_current_role(rf_req *q, const char *user);

/* Failed-login throttling table slot (shared store). */
typedef struct rf_loginfail_slot {
    char user[65];
    int failures;
    apr_time_t last;
} rf_loginfail_slot;

#endif
