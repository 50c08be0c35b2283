/* Systems collection and Systems/{id}: GET and PATCH of the console switches. */
#include "rf_handlers.h"

#include <stdlib.h>
#include <string.h>

#include "apr_thread_mutex.h"

#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"

#include "amt_relay_api.h"
#include "rf_amt_map.h"
#include "rf_patch.h"
#include "rf_state.h"

APLOG_USE_MODULE(redfish_amt);

#define SYSTEMS "/redfish/v1/Systems"

int rf_success(rf_req *q)
{
    return rf_send_json(q, HTTP_OK, json_pack("{s:[o]}", "@Message.ExtendedInfo",
                                              rf_msg(NULL, "Success")), 0);
}

const char *rf_console_uri(rf_req *q, const amt_device *d, const char *mode)
{
    const char *base = q->cfg->relay_url
                           ? q->cfg->relay_url
                           : apr_pstrcat(q->r->pool, rf_external_origin(q, 1),
                                         "/relay/webrelay.ashx", NULL);
    return apr_psprintf(q->r->pool, "%s?host=%s&mode=%s", base, d->system_id, mode);
}

static json_t *oem_actions(rf_req *q, const char *self)
{
    static const char *const names[] = {"RequestKVMConsent", "SubmitKVMConsentCode",
                                        "CancelKVMConsent", "RequestSOLConsent",
                                        "SubmitSOLConsentCode", "CancelSOLConsent",
                                        "GenerateRedirectionToken", "EndRedirectionSessions"};
    json_t *oem = json_object();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_t *a = json_pack("{s:s}", "target",
                              apr_psprintf(q->r->pool, "%s/Actions/Oem/IntelComputerSystem.%s",
                                           self, names[i]));
        if (strcmp(names[i], "GenerateRedirectionToken") == 0 ||
            strcmp(names[i], "EndRedirectionSessions") == 0)
            json_object_set_new(a, "Mode@Redfish.AllowableValues", json_pack("[s,s]", "KVM", "SOL"));
        json_object_set_new(oem, apr_psprintf(q->r->pool, "#IntelComputerSystem.%s", names[i]), a);
    }
    return oem;
}

/* mod_amt_relay's live stream count, when that module is loaded (rebound in every
 * post_config: the relay may come or go with a restart). */
static APR_OPTIONAL_FN_TYPE(amt_relay_active_streams) *relay_active_streams;

void rf_systems_bind_relay(void)
{
    relay_active_streams = APR_RETRIEVE_OPTIONAL_FN(amt_relay_active_streams);
}

/* Live relay streams per mode: never cached (they change with every stream the
 * relay opens or closes), and looked up outside the store lock (the relay's
 * lock is another global mutex: never nest them). */
typedef struct live_streams {
    int kvm, sol;
} live_streams;

static void get_live_streams(const amt_device *d, live_streams *live)
{
    live->kvm = live->sol = 0;
    if (!relay_active_streams)
        return; /* no relay: AMT's own state only, as before */
    live->kvm = relay_active_streams(d->system_id, "kvm");
    live->sol = relay_active_streams(d->system_id, "sol");
    if (live->kvm < 0)
        live->kvm = 0;
    if (live->sol < 0)
        live->sol = 0;
}

static json_t *system_json(rf_req *q, const amt_device *d, const amt_state *st,
                           const live_streams *live);

void rf_relay_live_streams(const amt_device *d, int *kvm, int *sol)
{
    live_streams live;
    get_live_streams(d, &live);
    *kvm = live.kvm;
    *sol = live.sol;
}

json_t *rf_system_json(rf_req *q, const amt_device *d, const amt_state *st)
{
    live_streams live;
    get_live_streams(d, &live);
    return system_json(q, d, st, &live);
}

static json_t *system_json(rf_req *q, const amt_device *d, const amt_state *st,
                           const live_streams *live)
{
    const char *self = apr_psprintf(q->r->pool, SYSTEMS "/%s", d->system_id);
    json_t *o, *reset_values = json_array(), *intel;
    const char *power = rf_power_state(st->power_state);
    const char *mode = rf_control_mode(st->control_mode);

    for (int i = 0; rf_reset_types[i]; i++)
        json_array_append_new(reset_values, json_string(rf_reset_types[i]));

    intel = json_pack("{s:s, s:s, s:s, s:s, s:s}", "@odata.type", "#IntelComputerSystem.v1_0_0.AMT",
                      "KVMStatus", rf_redir_status_live(st, RF_MODE_KVM, live->kvm),
                      "SOLStatus", rf_redir_status_live(st, RF_MODE_SOL, live->sol),
                      "UserConsentStatus",
                      rf_consent_status(st, RF_MODE_KVM), "KVMConsoleURI",
                      rf_console_uri(q, d, "kvm"));
    if (mode)
        json_object_set_new(intel, "ControlMode", json_string(mode));
    /* Modern Standby keeps the host in S0 (PowerState On) with the OS asleep; only
     * IPS_PowerManagementService tells. Omitted when unknown. */
    if (st->os_power_saving == 2 || st->os_power_saving == 3)
        json_object_set_new(intel, "ModernStandby", json_boolean(st->os_power_saving == 3));

    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}", "@odata.id", self,
                  "@odata.type", "#ComputerSystem.v1_27_0.ComputerSystem", "Id", d->system_id,
                  "Name", d->name, "UUID", d->system_id, "SystemType", "Physical", "Model",
                  st->model[0] ? st->model : "Intel AMT managed system", "Status", "State",
                  "Enabled", "Health", "OK");
    if (st->manufacturer[0])
        json_object_set_new(o, "Manufacturer", json_string(st->manufacturer));
    if (st->hostname[0])
        json_object_set_new(o, "HostName", json_string(st->hostname));
    if (power)
        json_object_set_new(o, "PowerState", json_string(power));
    json_object_set_new(
        o, "GraphicalConsole",
        json_pack("{s:b, s:i, s:o}", "ServiceEnabled",
                  st->kvm_available && st->kvm_enabled && st->listener_enabled,
                  "MaxConcurrentSessions", 1, "ConnectTypesSupported",
                  st->kvm_available ? json_pack("[s]", "KVMIP") : json_array()));
    json_object_set_new(
        o, "SerialConsole",
        json_pack("{s:i, s:{s:b, s:s, s:b}}", "MaxConcurrentSessions", 1, "WebSocket",
                  "ServiceEnabled", st->sol_enabled && st->listener_enabled, "ConsoleURI",
                  rf_console_uri(q, d, "sol"), "Interactive", 1));
    json_object_set_new(o, "Links", json_pack("{s:[{s:s}]}", "ManagedBy", "@odata.id",
                                              apr_psprintf(q->r->pool, "/redfish/v1/Managers/%s",
                                                           d->system_id)));
    json_object_set_new(o, "Actions",
                        json_pack("{s:{s:s, s:o}, s:o}", "#ComputerSystem.Reset", "target",
                                  apr_psprintf(q->r->pool, "%s/Actions/ComputerSystem.Reset", self),
                                  "ResetType@Redfish.AllowableValues", reset_values, "Oem",
                                  oem_actions(q, self)));
    json_object_set_new(o, "Oem", json_pack("{s:o}", "Intel", intel));
    return o;
}

int rf_h_systems(rf_req *q)
{
    int first, count, rc;
    if ((rc = rf_paging(q, q->sconf->devices->nelts, &first, &count)) != OK)
        return rc;
    return rf_send_json(q, HTTP_OK,
                        rf_device_collection(q, SYSTEMS,
                                             "#ComputerSystemCollection.ComputerSystemCollection",
                                             "Computer Systems", first, count),
                        0);
}

/* PATCH body check: the only writable leaves are GraphicalConsole.ServiceEnabled
 * and SerialConsole.WebSocket.ServiceEnabled. Everything else is named in msgs. */
static void check_patch(rf_req *q, json_t *body, json_t *current, json_t *msgs, int *kvm, int *sol)
{
    const char *key, *k2, *k3;
    json_t *v, *v2, *v3;
    apr_pool_t *p = q->r->pool;
    json_object_foreach(body, key, v) {
        json_t *cur = json_object_get(current, key);
        if (strcmp(key, "GraphicalConsole") == 0 && json_is_object(v)) {
            json_object_foreach(v, k2, v2) {
                const char *name = apr_psprintf(p, "GraphicalConsole/%s", k2);
                if (strcmp(k2, "ServiceEnabled") != 0)
                    rf_patch_reject(q, msgs, name, json_object_get(cur, k2) != NULL);
                else if (!json_is_boolean(v2))
                    json_array_append_new(msgs, rf_msg(apr_pstrcat(p, "#/", name, NULL),
                                                       "PropertyValueTypeError",
                                                       rf_json_text(q, v2), name));
                else
                    *kvm = json_is_true(v2);
            }
        } else if (strcmp(key, "SerialConsole") == 0 && json_is_object(v)) {
            json_object_foreach(v, k2, v2) {
                const char *name = apr_psprintf(p, "SerialConsole/%s", k2);
                json_t *cur2 = json_object_get(cur, k2);
                if (strcmp(k2, "WebSocket") != 0 || !json_is_object(v2)) {
                    if (strcmp(k2, "WebSocket") == 0)
                        json_array_append_new(msgs, rf_msg(apr_pstrcat(p, "#/", name, NULL),
                                                           "PropertyValueTypeError",
                                                           rf_json_text(q, v2), name));
                    else
                        rf_patch_reject(q, msgs, name, cur2 != NULL);
                    continue;
                }
                json_object_foreach(v2, k3, v3) {
                    const char *name3 = apr_psprintf(p, "SerialConsole/WebSocket/%s", k3);
                    if (strcmp(k3, "ServiceEnabled") != 0)
                        rf_patch_reject(q, msgs, name3, json_object_get(cur2, k3) != NULL);
                    else if (!json_is_boolean(v3))
                        json_array_append_new(msgs, rf_msg(apr_pstrcat(p, "#/", name3, NULL),
                                                           "PropertyValueTypeError",
                                                           rf_json_text(q, v3), name3));
                    else
                        *sol = json_is_true(v3);
                }
            }
        } else if (strcmp(key, "GraphicalConsole") == 0 || strcmp(key, "SerialConsole") == 0) {
            json_array_append_new(msgs, rf_msg(apr_pstrcat(p, "#/", key, NULL),
                                               "PropertyValueTypeError", rf_json_text(q, v), key));
        } else if (strncmp(key, "@odata.", 7) == 0) {
            /* clients echo these back from a GET; harmless when unchanged */
            if (!cur || !json_equal(cur, v))
                rf_patch_reject(q, msgs, key, 1);
        } else {
            rf_patch_reject(q, msgs, key, cur != NULL);
        }
    }
}

static int send_system(rf_req *q, const amt_device *d, const amt_state *st);

static int patch_system(rf_req *q, const amt_device *d)
{
    json_t *body, *current, *msgs;
    amt_state st;
    amt_client *c;
    int kvm = -1, sol = -1, rc;
    char err[256] = "";

    if ((rc = rf_read_json_object(q, &body)) != OK)
        return rc;
    if (json_object_size(body) == 0)
        return rf_error(q, HTTP_BAD_REQUEST, "EmptyJSON");
    rc = rf_state_get(q, d, &st, 0);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    current = rf_system_json(q, d, &st);
    msgs = json_array();
    check_patch(q, body, current, msgs, &kvm, &sol);
    if (json_array_size(msgs)) {
        json_decref(current);
        return rf_send_errors(q, HTTP_BAD_REQUEST, msgs);
    }
    json_decref(msgs);
    if ((rc = rf_check_if_match(q, current)) != OK)
        return rc;
    if (kvm == 1 && !st.kvm_available)
        return rf_error(q, HTTP_BAD_REQUEST, "PropertyValueNotInList", "true",
                        "GraphicalConsole/ServiceEnabled");

    if ((rc = rf_device_acquire(q, d, &c)) != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    /* Only the switch that was sent, and only if it changes anything: the
     * WS-Man sequences are specific to one feature (amt_ops.h). */
    rc = AMT_OK;
    if (kvm >= 0 && kvm != (st.kvm_enabled && st.listener_enabled))
        rc = amt_set_kvm(c, kvm, err, sizeof(err));
    if (rc == AMT_OK && sol >= 0 && sol != (st.sol_enabled && st.listener_enabled))
        rc = amt_set_sol(c, sol, err, sizeof(err));
    rf_device_release(q, d, c);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, err);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, q->r, "Redfish: %s set KVM=%d SOL=%d on %s", q->user,
                  kvm, sol, d->system_id);
    rc = rf_state_get(q, d, &st, 1);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    return send_system(q, d, &st);
}

/* The rendered ComputerSystem depends only on the device, its AMT state, the
 * live relay stream counts and the relay URL base; pollers mostly ask for the
 * same one again. Each process keeps the last rendering per device (text, ETag,
 * Link) and reuses it while those inputs are byte-for-byte the same, which skips
 * building and serializing JSON. */
typedef struct rendered {
    amt_state state;
    live_streams live;
    char *base, *text, *etag, *link; /* malloc'ed; NULL when empty */
} rendered;

static rendered *render_cache;
static int render_cache_n;
static apr_thread_mutex_t *render_mutex;

void rf_systems_child_init(apr_pool_t *p, int ndevices)
{
    render_cache = NULL;
    render_cache_n = 0;
    if (ndevices <= 0 || apr_thread_mutex_create(&render_mutex, APR_THREAD_MUTEX_DEFAULT, p) !=
                             APR_SUCCESS)
        return;
    render_cache = apr_pcalloc(p, sizeof(*render_cache) * (apr_size_t)ndevices);
    render_cache_n = ndevices;
}

static int send_system(rf_req *q, const amt_device *d, const amt_state *st)
{
    int i = rf_device_index(q->sconf, d);
    const char *base = rf_console_uri(q, d, "");
    const char *text = NULL, *etag = NULL, *link = NULL;
    rendered *c = (render_cache && i >= 0 && i < render_cache_n) ? &render_cache[i] : NULL;
    live_streams live;

    get_live_streams(d, &live);
    if (c && apr_thread_mutex_lock(render_mutex) == APR_SUCCESS) {
        if (c->text && strcmp(c->base, base) == 0 && memcmp(&c->state, st, sizeof(*st)) == 0 &&
            c->live.kvm == live.kvm && c->live.sol == live.sol) {
            text = apr_pstrdup(q->r->pool, c->text);
            etag = apr_pstrdup(q->r->pool, c->etag);
            link = c->link ? apr_pstrdup(q->r->pool, c->link) : NULL;
        }
        apr_thread_mutex_unlock(render_mutex);
    }
    if (text)
        return rf_send_text(q, HTTP_OK, text, etag, link);
    if (rf_render_json(q, system_json(q, d, st, &live), &text, &etag, &link) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    if (c && apr_thread_mutex_lock(render_mutex) == APR_SUCCESS) {
        free(c->base);
        free(c->text);
        free(c->etag);
        free(c->link);
        c->state = *st;
        c->live = live;
        c->base = strdup(base);
        c->text = strdup(text);
        c->etag = strdup(etag);
        c->link = link ? strdup(link) : NULL;
        if (!c->base || !c->text || !c->etag) {
            free(c->text);
            c->text = NULL;
        }
        apr_thread_mutex_unlock(render_mutex);
    }
    return rf_send_text(q, HTTP_OK, text, etag, link);
}

int rf_h_system(rf_req *q)
{
    const amt_device *d = rf_device_param(q, "ComputerSystem");
    amt_state st;
    int rc;
    if (!d)
        return DONE;
    if (q->r->method_number == M_PATCH)
        return patch_system(q, d);
    rc = rf_state_get(q, d, &st, 0);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    return send_system(q, d, &st);
}
