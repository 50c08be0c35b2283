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
    REDFISH_AMT_TOKEN_UNAVAILABLE    /* the token service is not configured */
} redfish_amt_token_status;

/* Checks (and, when valid, consumes) a redirection token for system_id and mode
 * ("kvm" or "sol"). On success *user receives the user the token was issued to
 * (for logs). Fails closed: anything unexpected is a refusal. */
APR_DECLARE_OPTIONAL_FN(redfish_amt_token_status, redfish_amt_check_token,
                        (request_rec *r, const char *token, const char *system_id,
                         const char *mode, const char **user));

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
    }
    return "token refused";
}

#endif
