/* relay_registry: the live streams of the whole server, in ap_slotmem shared memory
 * under the "amt-relay" global mutex (decision 2, apache-idioms 1.6), so the caps
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

typedef void relay_registry_visit(const relay_slot *s, void *ctx);
int relay_registry_foreach(relay_registry_visit *fn, void *ctx, apr_pool_t *p);

#endif
