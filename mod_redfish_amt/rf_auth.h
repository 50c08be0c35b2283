/* Who is asking: X-Auth-Token sessions and HTTP Basic, passwords checked by the
 * configured Apache authn providers, roles from authz group providers. */
#ifndef RF_AUTH_H
#define RF_AUTH_H

#include "rf_http.h"
#include "rf_rate.h"

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

enum { RF_LOGIN_BAD = -1, RF_LOGIN_ERROR = -2, RF_LOGIN_THROTTLED = -3, RF_LOGIN_BUSY = -4 };
#define RF_RETRY_NOTE "redfish-amt-retry-after"

/* Checks user/password (within the login throttle, rf_throttle.h) and finds the
 * role. Returns the role (>= 0), or RF_LOGIN_BAD (bad credentials / no role),
 * RF_LOGIN_ERROR (the authentication source failed), RF_LOGIN_THROTTLED (too many
 * failures for this user or client), RF_LOGIN_BUSY (too many checks running). */
int rf_login_check(rf_req *q, const char *user, const char *password);
/* Sends the response for a negative rf_login_check result (401, 429 or 503). */
int rf_login_refused(rf_req *q, int rc);

/* Asks the providers again about user (no password, no throttling): the role
 * (>= 0); RF_ROLE_NONE (-1) when no RedfishRole rule grants it any more or, for
 * the file and dbm providers, when the user is no longer in the file; -2 when a
 * provider fails. docs/security-model.md, "Revocation". */
int rf_user_current_role(rf_req *q, const char *user);

/* Failed-login throttling table slot (shared store). */
typedef rf_rate_slot rf_loginfail_slot;

#endif
