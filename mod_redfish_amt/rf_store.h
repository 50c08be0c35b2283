/* The shared store: fixed-size slot tables in shared memory, one global mutex.
 *
 * Backed by ap_slotmem "shm": it behaves the same under
 * prefork, worker and event. Which tables are also saved across a full stop is
 * decided in rf_store.c (table_persist); every slot carries its own expiry. Callers see only
 * tables of slots; a distributed backend can replace this file later.
 *
 * Rules: rf_store_slot() pointers are valid only between rf_store_lock() and
 * rf_store_unlock(); never block (no network I/O) while holding the lock. */
#ifndef RF_STORE_H
#define RF_STORE_H

#include "httpd.h"
#include "apr_global_mutex.h"

typedef enum {
    RF_TABLE_SETTINGS = 0, /* one slot: runtime-writable settings (SessionTimeout) */
    RF_TABLE_SESSIONS,     /* rf_session_slot, RedfishMaxSessions slots */
    RF_TABLE_JTI,          /* rf_jti_slot: redirection token ids already used */
    RF_TABLE_STATE,        /* rf_state_slot: per-device AMT state cache */
    RF_TABLE_LOGINFAIL,    /* rf_loginfail_slot: failed-login throttling */
    RF_TABLE_COUNT
} rf_table_id;

typedef struct rf_store_sizes {
    unsigned slots[RF_TABLE_COUNT];
    apr_size_t item_size[RF_TABLE_COUNT];
} rf_store_sizes;

/* pre_config: registers the "redfish-store" mutex (so `Mutex ... redfish-store` works). */
void rf_store_pre_config(apr_pool_t *pconf);
/* post_config (real pass): creates the tables and the mutex on pconf. */
apr_status_t rf_store_post_config(apr_pool_t *pconf, server_rec *s, const rf_store_sizes *sz);
void rf_store_child_init(apr_pool_t *p, server_rec *s);

/* 0 on success; on failure the caller must fail closed. */
int rf_store_lock(void);
void rf_store_unlock(void);

unsigned rf_store_slots(rf_table_id t);
/* Pointer to slot i in shared memory (zeroed when first created), or NULL. */
void *rf_store_slot(rf_table_id t, unsigned i);

#endif
