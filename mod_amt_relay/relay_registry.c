/* relay_registry: see relay_registry.h. */
#include "relay_registry.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "ap_provider.h"
#include "ap_slotmem.h"
#include "apr_global_mutex.h"
#include "http_log.h"
#include "util_mutex.h"

#include "amt_mutex_retry.h"
#include "relay_glue.h"

APLOG_USE_MODULE(amt_relay);

#define MUTEX_TYPE "amt-relay"

static const ap_slotmem_provider_t *slotmem;
static ap_slotmem_instance_t *streams;
static apr_global_mutex_t *mutex;

int relay_registry_pre_config(apr_pool_t *pconf)
{
    /* statics of a DSO survive restarts while the config does not: reset them */
    slotmem = NULL;
    streams = NULL;
    mutex = NULL;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

int relay_registry_post_config(apr_pool_t *pconf, server_rec *s, int max_streams)
{
    apr_status_t rv;
    slotmem = ap_lookup_provider(AP_SLOTMEM_PROVIDER_GROUP, "shm", AP_SLOTMEM_PROVIDER_VERSION);
    if (!slotmem) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_amt_relay needs mod_slotmem_shm (LoadModule slotmem_shm_module)");
        return !OK;
    }
    rv = ap_global_mutex_create(&mutex, NULL, MUTEX_TYPE, NULL, s, pconf, 0);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_amt_relay: cannot create the mutex");
        return !OK;
    }
    /* not PERSIST: a stream does not outlive the process that serves it */
    rv = slotmem->create(&streams, "amt-relay-streams", sizeof(relay_slot), (unsigned)max_streams,
                         AP_SLOTMEM_TYPE_PREGRAB, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_amt_relay: cannot create the stream table");
        return !OK;
    }
    return OK;
}

void relay_registry_child_init(apr_pool_t *p, server_rec *s)
{
    if (mutex) {
        apr_status_t rv = apr_global_mutex_child_init(&mutex, apr_global_mutex_lockfile(mutex), p);
        if (rv != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "mod_amt_relay: mutex child init failed");
    }
}

/* The table lock, retrying a spurious EDEADLK of `Mutex file:` under threaded
 * MPMs: the same helper as mod_redfish_amt's rf_store_lock (amt_mutex_retry.h). */
static int reg_lock(void)
{
    apr_status_t rv = amt_global_mutex_lock_retry(mutex);
    if (rv == APR_SUCCESS)
        return 0;
    ap_log_error(APLOG_MARK, APLOG_ERR, rv, NULL, "mod_amt_relay: stream table lock failed");
    return -1;
}

typedef struct {
    const char *system_id, *mode;
    int total, same;
    unsigned stale[64];
    int nstale;
} count_ctx;

static int process_gone(pid_t pid)
{
    /* EPERM means it exists under another uid: alive */
    return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

static apr_status_t count_cb(void *mem, void *data, apr_pool_t *pool)
{
    relay_slot *s = mem;
    count_ctx *c = data;
    if (process_gone(s->pid)) {
        if (c->nstale < (int)(sizeof(c->stale) / sizeof(c->stale[0])))
            c->stale[c->nstale++] = s->id;
        return APR_SUCCESS;
    }
    c->total++;
    if (!strcmp(s->system_id, c->system_id) && !strcmp(s->mode, c->mode))
        c->same++;
    return APR_SUCCESS;
}

/* Caller holds the mutex. */
static relay_reg_status count(const char *system_id, const char *mode, int max_streams,
                              apr_pool_t *p)
{
    count_ctx c;
    memset(&c, 0, sizeof(c));
    c.system_id = system_id;
    c.mode = mode;
    slotmem->doall(streams, count_cb, &c, p);
    for (int i = 0; i < c.nstale; i++) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL,
                     "mod_amt_relay: reclaiming the stream slot of a process that died");
        slotmem->release(streams, c.stale[i]);
    }
    /* AMT allows one KVM and one SOL session per device: never a second one, which
       would either fail as BUSY or, worse, take over the live session */
    if (c.same)
        return RELAY_REG_BUSY;
    if (c.total >= max_streams)
        return RELAY_REG_FULL;
    return RELAY_REG_OK;
}

relay_reg_status relay_registry_check(const char *system_id, const char *mode, int max_streams)
{
    relay_reg_status st;
    apr_pool_t *p;
    if (!streams || !mutex || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return RELAY_REG_ERROR;
    if (reg_lock() != 0) {
        apr_pool_destroy(p);
        return RELAY_REG_ERROR;
    }
    st = count(system_id, mode, max_streams, p);
    apr_global_mutex_unlock(mutex);
    apr_pool_destroy(p);
    return st;
}

relay_reg_status relay_registry_acquire(const relay_slot *want, int max_streams, relay_slot **slot)
{
    relay_reg_status st;
    unsigned id;
    void *mem;
    apr_pool_t *p;
    *slot = NULL;
    if (!streams || !mutex || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return RELAY_REG_ERROR;
    if (reg_lock() != 0) {
        apr_pool_destroy(p);
        return RELAY_REG_ERROR;
    }
    st = count(want->system_id, want->mode, max_streams, p);
    if (st == RELAY_REG_OK) {
        if (slotmem->grab(streams, &id) != APR_SUCCESS ||
            slotmem->dptr(streams, id, &mem) != APR_SUCCESS) {
            st = RELAY_REG_FULL;
        } else {
            relay_slot *s = mem;
            memcpy(s, want, sizeof(*s));
            s->id = id;
            s->pid = getpid();
            s->to_amt = s->to_client = 0;
            s->probe_at = s->probe_alive = 0;
            s->end_asked = 0;
            *slot = s;
        }
    }
    apr_global_mutex_unlock(mutex);
    apr_pool_destroy(p);
    return st;
}

void relay_registry_release(relay_slot *slot)
{
    if (!slot || !streams || !mutex)
        return;
    if (reg_lock() == 0) {
        unsigned id = slot->id;
        slot->pid = 0;
        slotmem->release(streams, id);
        apr_global_mutex_unlock(mutex);
    }
}

typedef struct {
    const char *system_id, *mode;
    apr_time_t stamp;
    int ask;             /* 1: stamp the owner's slot; 0: see whether it answered */
    int found, alive;
    apr_interval_time_t window; /* ask: how long another newcomer's question stands */
    int pending_other;          /* ask: another newcomer is already waiting */
} probe_ctx;

static apr_status_t probe_cb(void *mem, void *data, apr_pool_t *pool)
{
    relay_slot *s = mem;
    probe_ctx *c = data;
    if (s->pid <= 0 || process_gone(s->pid) || strcmp(s->system_id, c->system_id) ||
        strcmp(s->mode, c->mode))
        return APR_SUCCESS;
    c->found = 1;
    if (c->ask) {
        /* one newcomer at a time: while another one's question is unanswered and
           not older than the window, this one is told so instead of waiting too */
        if (s->probe_at && s->probe_alive != s->probe_at && c->stamp - s->probe_at < c->window)
            c->pending_other = 1;
        else
            s->probe_at = c->stamp; /* read by the owner, racily, once per turn */
    } else
        c->alive = s->probe_alive == c->stamp;
    return APR_SUCCESS;
}

/* Runs cb over the table under the lock; -1 when the table is unavailable. */
static int walk_locked(ap_slotmem_callback_fn_t *cb, void *ctx)
{
    apr_pool_t *p;
    if (!streams || !mutex || apr_pool_create(&p, NULL) != APR_SUCCESS)
        return -1;
    if (reg_lock() != 0) {
        apr_pool_destroy(p);
        return -1;
    }
    slotmem->doall(streams, cb, ctx, p);
    apr_global_mutex_unlock(mutex);
    apr_pool_destroy(p);
    return 0;
}

apr_time_t relay_registry_probe(const char *system_id, const char *mode, apr_interval_time_t window)
{
    probe_ctx c = { system_id, mode, apr_time_now(), 1, 0, 0, window, 0 };
    if (walk_locked(probe_cb, &c) != 0 || !c.found)
        return 0;
    return c.pending_other ? RELAY_PROBE_TAKEN : c.stamp;
}

relay_probe_state relay_registry_probe_state(const char *system_id, const char *mode, apr_time_t stamp)
{
    probe_ctx c = { system_id, mode, stamp, 0, 0, 0, 0, 0 };
    if (walk_locked(probe_cb, &c) != 0)
        return RELAY_PROBE_ALIVE; /* cannot tell: never take a device on a guess */
    if (!c.found)
        return RELAY_PROBE_GONE;
    return c.alive ? RELAY_PROBE_ALIVE : RELAY_PROBE_PENDING;
}

typedef struct {
    relay_registry_visit *fn;
    void *ctx;
} visit_ctx;

static apr_status_t visit_cb(void *mem, void *data, apr_pool_t *pool)
{
    visit_ctx *v = data;
    relay_slot copy;
    memcpy(&copy, mem, sizeof(copy));
    if (copy.pid > 0)
        v->fn(&copy, v->ctx);
    return APR_SUCCESS;
}

int relay_registry_foreach(relay_registry_visit *fn, void *ctx, apr_pool_t *p)
{
    visit_ctx v = { fn, ctx };
    if (!streams || !mutex)
        return -1;
    if (reg_lock() != 0)
        return -1;
    slotmem->doall(streams, visit_cb, &v, p);
    apr_global_mutex_unlock(mutex);
    return 0;
}

typedef struct {
    const char *system_id, *mode;
    int n;
    int end;
} active_ctx;

/* Counts the live streams of a->system_id/mode; with a->end, also asks them to end. */
static apr_status_t active_cb(void *mem, void *data, apr_pool_t *pool)
{
    relay_slot *s = mem;
    active_ctx *a = data;
    (void)pool;
    if (s->pid <= 0 || process_gone(s->pid))
        return APR_SUCCESS; /* released, or its process died (count() reclaims it) */
    if (strcasecmp(s->system_id, a->system_id) == 0 && (!a->mode || strcmp(s->mode, a->mode) == 0)) {
        a->n++;
        if (a->end)
            s->end_asked = 1;
    }
    return APR_SUCCESS;
}

int relay_registry_active(const char *system_id, const char *mode)
{
    active_ctx a = { system_id, mode, 0, 0 };
    if (!system_id || walk_locked(active_cb, &a) != 0)
        return -1;
    return a.n;
}

int relay_registry_end(const char *system_id, const char *mode)
{
    active_ctx a = { system_id, mode, 0, 1 };
    if (!system_id || walk_locked(active_cb, &a) != 0)
        return -1;
    return a.n;
}
