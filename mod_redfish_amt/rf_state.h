/* Per-device AMT state cache and the per-device "one request in flight" rule,
 * both in the shared store so they hold across processes:
 *  - a state read younger than RedfishStateCacheTTL is reused;
 *  - whoever finds it stale marks the device busy and refreshes it, everyone
 *    else (in any process) waits for that refresh and reuses its result;
 *  - a failed refresh is remembered briefly, so an unreachable device costs one
 *    timeout per TTL, not one per request, and never blocks other devices. */
#ifndef RF_STATE_H
#define RF_STATE_H

#include "amt_ops.h"
#include "rf_http.h"

/* r->notes key: why the last AMT exchange for this request failed (rf_amt_error). */
#define RF_NOTE_AMT_WHY "redfish-amt-why"

typedef struct rf_state_slot {
    char system_id[37];
    apr_time_t fetched;        /* when .state was read (0: never) */
    apr_time_t busy_until;     /* someone talks to the device until then (0: idle) */
    apr_time_t failed_until;   /* the last refresh failed; repeat its error until then */
    int failed_rc;
    char failed_why[256];      /* its reason (no secrets), told to clients in the meantime */
    unsigned long refreshes;   /* refreshes done (for tests and benchmarks) */
    amt_state state;
    /* consent through Redfish (rf_consent_owner.h) */
    char consent_requester[33];/* session whose request put the code on screen */
    char consent_owner[33];    /* session whose code AMT accepted */
    int consent_mode;          /* rf_redir_mode the owner asked for */
    int consent_wrong_codes;   /* wrong codes for the code on screen, any session */
} rf_state_slot;

/* The device's state, from the cache or a coalesced refresh. AMT_OK, or an amt_rc.
 * fresh: ignore the cache (after a change), still coalesced. */
int rf_state_get(rf_req *q, const amt_device *d, amt_state *out, int fresh);

/* Exclusive use of the device for a change (PATCH, actions). rf_device_acquire
 * returns AMT_OK with a client, or AMT_E_UNREACHABLE when the device stayed
 * busy for longer than the timeout. rf_device_release always invalidates the cache. */
int rf_device_acquire(rf_req *q, const amt_device *d, amt_client **client);
void rf_device_release(rf_req *q, const amt_device *d, amt_client *client);

/* Maps a failed amt_rc to a Redfish error response. */
int rf_amt_error(rf_req *q, const amt_device *d, int rc, const char *err);

/* Seconds for Retry-After. */
int rf_retry_after(const rf_settings *cfg);

/* The slot index of a device (its position in the registry), or -1. */
int rf_device_index(const rf_server_conf *conf, const amt_device *d);

#endif
