/* Who a device's user consent belongs to. AMT keeps one consent per device, but
 * many Redfish users share the relay's AMT account, so this layer remembers, in
 * the device's state slot, the session that requested the code and the session
 * whose code AMT accepted (and for which mode). Until AMT leaves the granted
 * state, only that session gets redirection tokens for that mode; a cancel by
 * anyone else needs an Administrator; wrong codes are counted per device for
 * the code on screen, reserved before AMT is asked (so concurrent submissions
 * cannot exceed the budget). See docs/security-quotas.md, "Consent". */
#ifndef RF_CONSENT_OWNER_H
#define RF_CONSENT_OWNER_H

#include "rf_amt_map.h"
#include "rf_state.h"

enum { RF_OWNER_OK = 0, RF_OWNER_OTHER = 1, RF_OWNER_NONE = 2, RF_OWNER_MODE = 3,
       RF_OWNER_LOCKED = 4, RF_OWNER_ERROR = -1 };

/* May session sid use the granted consent for mode? RF_OWNER_OK, or why not. */
int rf_consent_owner_check(rf_req *q, const amt_device *d, const char *sid, rf_redir_mode mode);
/* Text for a refusal (for the error message and the log). */
const char *rf_consent_owner_reason(int rc);

/* The request put a new code on screen: sid is its requester, wrong codes restart. */
void rf_consent_requested(rf_req *q, const amt_device *d);
/* May q's session submit a code now? Reserves one attempt of the device's budget
 * (a right code makes it moot). RF_OWNER_OK; RF_OWNER_OTHER (another session
 * requested the code); RF_OWNER_LOCKED (limit wrong codes already); RF_OWNER_ERROR. */
int rf_consent_submit_begin(rf_req *q, const amt_device *d, int limit);
/* AMT accepted q's code: q's session owns the consent for mode. */
void rf_consent_granted_to(rf_req *q, const amt_device *d, rf_redir_mode mode);
/* May q cancel? Its own request/consent, nobody's, or an Administrator. */
int rf_consent_may_cancel(rf_req *q, const amt_device *d);

/* Under the store lock, after a state read: forgets owner/requester AMT no
 * longer backs (called by rf_state.c). */
void rf_consent_owner_follow(rf_state_slot *s, const amt_state *st);

#endif
