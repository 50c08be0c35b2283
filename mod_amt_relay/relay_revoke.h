/* relay_revoke: a live stream ends with the Redfish session that asked for its
 * token (deleted, logged out, expired, or its user lost access) and when an
 * administrator ends the system's streams (docs/security-model.md, "Revocation").
 *
 * Cheap by design: once a second the stream reads mod_redfish_amt's lock-free
 * counter of ended sessions and its own slot's end_asked flag; it asks
 * mod_redfish_amt about its session (a brief lock there, never while holding the
 * stream table's) only when the counter moved or the time the last answer gave
 * (the session's idle/absolute deadline, the next re-check of its user) has come. */
#ifndef RELAY_REVOKE_H
#define RELAY_REVOKE_H

#include "httpd.h"
#include "relay_registry.h"

#define RELAY_REVOKE_CHECK_MS 1000

typedef struct relay_revoke_watch {
    apr_uint64_t next_ms;        /* next look */
    apr_uint32_t seen_ended;     /* the counter at the last question */
    apr_time_t ask_at;           /* ask by then even if the counter did not move */
    int asked;                   /* asked at least once */
} relay_revoke_watch;

void relay_revoke_init(relay_revoke_watch *w, apr_uint64_t now_ms);

/* NULL while the stream may go on, else why it must end (a close reason). */
const char *relay_revoke_check(relay_revoke_watch *w, request_rec *r, const relay_slot *slot,
                               apr_uint64_t now_ms);

#endif
