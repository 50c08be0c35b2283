/* relay_registry: the live streams of the whole server, in ap_slotmem shared memory
 * under the "amt-relay" global mutex, so the caps
 * hold across processes under prefork, worker and event alike. */
#ifndef RELAY_REGISTRY_H
#define RELAY_REGISTRY_H

#include "httpd.h"
#include "apr_time.h"

typedef struct relay_slot {
    unsigned id;           /* own slot number (doall does not tell it) */
    pid_t pid;             /* owning process, to reclaim slots of a crashed child */
    char system_id[40];
    char mode[4];          /* "kvm" / "sol" */
    char dialect[6];       /* "plain" / "p2" */
    char user[64];         /* who (from the token) */
    char client[48];       /* client address */
    apr_time_t started;
    /* written only by the owner, read racily by mod_status (64-bit stores are
       atomic on the platforms httpd runs on; a torn read would only misprint) */
    volatile apr_uint64_t to_amt, to_client;
    /* liveness check of this stream's client, asked for by a newcomer that wants
       the device (relay_registry_probe): the request's stamp, and the stamp the
       owner answered "alive" to */
    volatile apr_time_t probe_at, probe_alive;
    /* revocation (relay_revoke.h): the Redfish session that issued the token, and
       an administrator's request that the stream end (set under the lock, read by
       the owner racily once a second) */
    char session_id[33];
    volatile int end_asked;
} relay_slot;

typedef enum {
    RELAY_REG_OK = 0,
    RELAY_REG_BUSY,      /* this device already has a stream of this mode */
    RELAY_REG_FULL,      /* global cap reached */
    RELAY_REG_ERROR      /* shared memory unavailable */
} relay_reg_status;

int relay_registry_pre_config(apr_pool_t *pconf);
int relay_registry_post_config(apr_pool_t *pconf, server_rec *s, int max_streams);
void relay_registry_child_init(apr_pool_t *p, server_rec *s);

/* Non-reserving check (before a token is spent). */
relay_reg_status relay_registry_check(const char *system_id, const char *mode, int max_streams);
/* Reserves a slot; *slot stays valid until relay_registry_release. */
relay_reg_status relay_registry_acquire(const relay_slot *want, int max_streams, relay_slot **slot);
void relay_registry_release(relay_slot *slot);

/* Live streams of system_id (any case) in mode ("kvm"/"sol"; NULL: both), or -1
 * when the table is unavailable. Exported as amt_relay_active_streams. */
int relay_registry_active(const char *system_id, const char *mode);

/* A newcomer found system_id/mode taken: asks its owner to check that its client is
 * still there. Returns the request's stamp, 0 when nobody holds the pair (any
 * more), or RELAY_PROBE_TAKEN. relay_registry_probe_state then says how it went. */
apr_time_t relay_registry_probe(const char *system_id, const char *mode, apr_interval_time_t window);
/* relay_registry_probe's answer when another newcomer asked less than window ago and
 * has no answer yet: this one does not wait as well (at most one request per device
 * and mode is ever parked, docs/security-model.md). */
#define RELAY_PROBE_TAKEN ((apr_time_t)-1)
typedef enum { RELAY_PROBE_PENDING = 0, RELAY_PROBE_ALIVE, RELAY_PROBE_GONE } relay_probe_state;
relay_probe_state relay_registry_probe_state(const char *system_id, const char *mode, apr_time_t stamp);

/* Asks every live stream of system_id (any case) in mode (NULL: both) to end:
 * sets end_asked in their slots. Returns how many, or -1 when the table is
 * unavailable. Exported as amt_relay_end_streams. */
int relay_registry_end(const char *system_id, const char *mode);

typedef void relay_registry_visit(const relay_slot *s, void *ctx);
int relay_registry_foreach(relay_registry_visit *fn, void *ctx, apr_pool_t *p);

#endif
