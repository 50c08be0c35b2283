/* The interface mod_redfish_amt offers to other modules (mod_amt_relay) through
 * APR optional functions, so neither module links against the other. */
#ifndef REDFISH_AMT_API_H
#define REDFISH_AMT_API_H

#include "apr_optional.h"
#include "httpd.h"
#include "amt_device.h"

/* Looks a device up by SystemId (any hex case). NULL when unknown. The returned
 * device lives as long as the current configuration generation. */
APR_DECLARE_OPTIONAL_FN(const amt_device *, redfish_amt_find_device, (const char *system_id));

/* Result of checking a redirection token offered to the relay. */
typedef enum {
    REDFISH_AMT_TOKEN_OK = 0,
    REDFISH_AMT_TOKEN_MALFORMED,     /* not a token, or bad signature */
    REDFISH_AMT_TOKEN_EXPIRED,
    REDFISH_AMT_TOKEN_WRONG_SYSTEM,
    REDFISH_AMT_TOKEN_WRONG_MODE,
    REDFISH_AMT_TOKEN_REPLAYED,      /* already used once */
    REDFISH_AMT_TOKEN_SESSION_GONE,  /* the issuing Redfish session has ended */
    REDFISH_AMT_TOKEN_NO_CONSENT,    /* required user consent not granted */
    REDFISH_AMT_TOKEN_UNAVAILABLE,   /* the token service is not configured */
    REDFISH_AMT_TOKEN_WRONG_ISSUER   /* issued by another virtual host */
} redfish_amt_token_status;

/* Checks (and, when valid, consumes) a redirection token for system_id and mode
 * ("kvm" or "sol") on the virtual host of r. On success *user receives the user
 * the token was issued to (for logs) and *session_id the Redfish session that
 * asked for it (the stream must end with it: redfish_amt_stream_session). Fails
 * closed: anything unexpected is a refusal. */
APR_DECLARE_OPTIONAL_FN(redfish_amt_token_status, redfish_amt_check_token,
                        (request_rec *r, const char *token, const char *system_id,
                         const char *mode, const char **user, const char **session_id));

/* Revocation of live streams (docs/security-model.md, "Revocation").
 * redfish_amt_sessions_ended: a counter that moves whenever a session ends; it
 * takes no lock, so a stream may read it every second. Only when it moved, or when
 * the time given by the last check has come, does the stream ask
 * redfish_amt_stream_session, which takes mod_redfish_amt's store lock briefly
 * (and may ask the authn/authz providers about the user, without any lock): never
 * call it while holding another module's global lock. */
typedef enum {
    REDFISH_AMT_SESSION_LIVE = 0,
    REDFISH_AMT_SESSION_ENDED,        /* deleted, logged out or expired */
    REDFISH_AMT_SESSION_USER_REVOKED, /* its user is gone or lost the role (session deleted) */
    REDFISH_AMT_SESSION_UNKNOWN       /* cannot tell now (store or providers failing): ask again */
} redfish_amt_session_state;
APR_DECLARE_OPTIONAL_FN(apr_uint32_t, redfish_amt_sessions_ended, (void));
/* State of session_id for a stream running in request r; *recheck_at receives the
 * time by which to ask again even if the counter did not move. */
APR_DECLARE_OPTIONAL_FN(redfish_amt_session_state, redfish_amt_stream_session,
                        (request_rec *r, const char *session_id, apr_time_t *recheck_at));

/* Human-readable reason for a token status (no secrets). */
static inline const char *redfish_amt_token_status_text(redfish_amt_token_status st)
{
    switch (st) {
    case REDFISH_AMT_TOKEN_OK:           return "token accepted";
    case REDFISH_AMT_TOKEN_MALFORMED:    return "token malformed or signature invalid";
    case REDFISH_AMT_TOKEN_EXPIRED:      return "token expired";
    case REDFISH_AMT_TOKEN_WRONG_SYSTEM: return "token was issued for another system";
    case REDFISH_AMT_TOKEN_WRONG_MODE:   return "token was issued for another mode";
    case REDFISH_AMT_TOKEN_REPLAYED:     return "token already used";
    case REDFISH_AMT_TOKEN_SESSION_GONE: return "the session that issued the token has ended";
    case REDFISH_AMT_TOKEN_NO_CONSENT:   return "user consent required and not granted";
    case REDFISH_AMT_TOKEN_UNAVAILABLE:  return "token service unavailable";
    case REDFISH_AMT_TOKEN_WRONG_ISSUER: return "token was issued by another virtual host";
    }
    return "token refused";
}

#endif
