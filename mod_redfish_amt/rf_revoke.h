/* Revocation (docs/security-model.md): where a session and a redirection token
 * are valid (the virtual host and the auth configuration that issued them), asking
 * the authn/authz providers again whether a session's user still exists and still
 * has its role, and the check a live relay stream makes on its issuing session. */
#ifndef RF_REVOKE_H
#define RF_REVOKE_H

#include "redfish_amt_api.h"
#include "rf_http.h"
#include "rf_session.h"

/* The issuer name of the virtual host s: 32 hex digits of a hash of where the
 * vhost is defined and what it serves (stable across restarts of one config). */
void rf_vhost_issuer(server_rec *s, char out[33]);

/* Scope of q's request: its virtual host, the RedfishAuthProvider list and the
 * RedfishRole rules in force. A session is valid only where its scope matches. */
void rf_scope_of(const rf_req *q, unsigned char out[RF_SCOPE_LEN]);

/* The session in q (q->session_id, q->user, q->role) after asking the providers
 * again when its last confirmation is older than RedfishUserRecheckInterval (or
 * always, with force). OK, or the status already sent: 401 when the user is gone
 * or lost the role (the session is then deleted, which ends its streams), 503
 * when the providers cannot answer now. user_checked: from the session table. */
int rf_revoke_recheck(rf_req *q, apr_time_t user_checked, int force);

/* Exported to mod_amt_relay as redfish_amt_stream_session (redfish_amt_api.h). */
redfish_amt_session_state rf_revoke_stream_session(request_rec *r, const char *session_id,
                                                   apr_time_t *recheck_at);

/* POST .../Actions/Oem/IntelComputerSystem.EndRedirectionSessions {"Mode": "KVM"|"SOL"}
 * (Mode optional: both): Administrator only; asks mod_amt_relay to end the
 * system's live streams. body is the action's parsed body. */
int rf_revoke_end_streams_action(rf_req *q, const amt_device *d, json_t *body);

#endif
