/* Shared store over ap_slotmem "shm" + one ap_global_mutex (see rf_store.h). */
#include "rf_store.h"

#include <string.h>

#include "ap_provider.h"
#include "apr_strings.h"
#include "http_config.h"
#include "ap_slotmem.h"
#include "http_log.h"
#include "http_main.h"
#include "util_mutex.h"

#include "amt_mutex_retry.h"

APLOG_USE_MODULE(redfish_amt);

#define RF_MUTEX_TYPE "redfish-store"

static const char *const table_names[RF_TABLE_COUNT] = {
    "redfish-settings", "redfish-sessions", "redfish-jti", "redfish-state", "redfish-loginfail"};
/* mod_slotmem_shm carries a table across a restart only through its persist file
 * (written when the configuration is unloaded, read back when it is created
 * again), so sessions and spent token ids are PERSIST tables; but they must
 * survive only a restart, never a full stop (docs/security-model.md, "What
 * persists across restarts"): at a fresh start they are wiped, and once loaded
 * their file is removed, so that it exists only while httpd restarts or is
 * stopped, and nothing read from it outlives a stop. The state cache and login
 * throttling are worth nothing after a restart. */
static const int table_persist[RF_TABLE_COUNT] = {1, 1, 1, 0, 0};
static const int table_restart_only[RF_TABLE_COUNT] = {0, 1, 1, 0, 0};

static const ap_slotmem_provider_t *provider;
static ap_slotmem_instance_t *tables[RF_TABLE_COUNT];
static unsigned table_slots[RF_TABLE_COUNT];
static apr_global_mutex_t *store_mutex;

#define RF_STORE_RETAINED "mod_redfish_amt/store-started"

/* Is this the first configuration since the parent process started (a start,
 * not a restart)? Retained data lives as long as the parent does. */
static int fresh_start(void)
{
    int *started = ap_retained_data_get(RF_STORE_RETAINED);
    if (started && *started)
        return 0;
    if (!started)
        started = ap_retained_data_create(RF_STORE_RETAINED, sizeof(*started));
    *started = 1;
    return 1;
}

/* A restart-only table just created: empty it at a fresh start, and remove the
 * file it was (maybe) loaded from. */
static void restart_only_loaded(apr_pool_t *pconf, server_rec *s, int i, int fresh)
{
    const char *file = ap_runtime_dir_relative(
        pconf, apr_pstrcat(pconf, "slotmem-shm-", table_names[i], ".shm.persist", NULL));
    if (fresh) {
        for (unsigned k = 0; k < table_slots[i]; k++) {
            void *ptr = NULL;
            if (provider->dptr(tables[i], k, &ptr) == APR_SUCCESS && ptr)
                memset(ptr, 0, provider->slot_size(tables[i]));
        }
    }
    if (file && apr_file_remove(file, pconf) == APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_TRACE1, 0, s, "mod_redfish_amt: %s %s and removed its file",
                     fresh ? "started: emptied" : "restarted: reloaded", table_names[i]);
}

void rf_store_pre_config(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, RF_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
    /* Statics in a DSO survive a restart but the memory they point to does not. */
    provider = NULL;
    store_mutex = NULL;
    for (int i = 0; i < RF_TABLE_COUNT; i++) {
        tables[i] = NULL;
        table_slots[i] = 0;
    }
}

apr_status_t rf_store_post_config(apr_pool_t *pconf, server_rec *s, const rf_store_sizes *sz)
{
    apr_status_t rv;
    int fresh = fresh_start();
    provider = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm", AP_SLOTMEM_PROVIDER_VERSION);
    if (!provider) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s,
                     "mod_redfish_amt needs mod_slotmem_shm (LoadModule slotmem_shm_module)");
        return APR_EGENERAL;
    }
    rv = ap_global_mutex_create(&store_mutex, NULL, RF_MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "mod_redfish_amt: cannot create the store mutex");
        return rv;
    }
    for (int i = 0; i < RF_TABLE_COUNT; i++) {
        unsigned n = sz->slots[i] ? sz->slots[i] : 1;
        rv = provider->create(&tables[i], table_names[i], sz->item_size[i], n,
                              table_persist[i] ? AP_SLOTMEM_TYPE_PERSIST : 0, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         "mod_redfish_amt: cannot create shared table %s (%u slots)",
                         table_names[i], n);
            return rv;
        }
        table_slots[i] = n;
        if (table_restart_only[i])
            restart_only_loaded(pconf, s, i, fresh);
    }
    return APR_SUCCESS;
}

void rf_store_child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv;
    if (!store_mutex)
        return;
    rv = apr_global_mutex_child_init(&store_mutex, apr_global_mutex_lockfile(store_mutex), p);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_redfish_amt: store mutex child init failed");
}

int rf_store_lock(void)
{
    apr_status_t rv;
    if (!store_mutex)
        return -1;
    /* retries a spurious EDEADLK of `Mutex file:` (see amt_mutex_retry.h) */
    rv = amt_global_mutex_lock_retry(store_mutex);
    if (rv == APR_SUCCESS)
        return 0;
    ap_log_error(APLOG_MARK, APLOG_ERR, rv, ap_server_conf, "mod_redfish_amt: store lock failed");
    return -1;
}

void rf_store_unlock(void)
{
    if (store_mutex)
        apr_global_mutex_unlock(store_mutex);
}

unsigned rf_store_slots(rf_table_id t)
{
    return (t < RF_TABLE_COUNT && tables[t]) ? table_slots[t] : 0;
}

void *rf_store_slot(rf_table_id t, unsigned i)
{
    void *ptr = NULL;
    if (t >= RF_TABLE_COUNT || !tables[t] || i >= table_slots[t])
        return NULL;
    if (provider->dptr(tables[t], i, &ptr) != APR_SUCCESS)
        return NULL;
    return ptr;
}
