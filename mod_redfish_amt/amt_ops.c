/* AMT call sequences behind the Redfish resources (contract: amt_ops.h; what real
 * firmware answers: docs/real-hardware-wsman.md). Each public function runs a short, strictly sequential
 * series of WS-Man exchanges over the client's wsman_client. */
#include "amt_ops.h"
#include "amt_tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "amt_replies.h"
#include "amt_uuid.h"
#include "wsman_client.h"

/* What each reply means is read in amt_replies.c (parse-only, shared with the recorded
 * firmware replies of t/vectors); this file only sequences the exchanges. */
#define URI_REDIR AMT_URI_REDIR
#define URI_SETUP AMT_URI_SETUP
#define URI_GENERAL AMT_URI_GENERAL
#define URI_OPTIN AMT_URI_OPTIN
#define URI_KVM_SAP AMT_URI_KVM_SAP
#define URI_POWER_SVC AMT_URI_POWER_SVC
#define URI_SATE AMT_URI_SATE
#define URI_CHASSIS AMT_URI_CHASSIS
#define URI_CSP AMT_URI_CSP
#define URI_IPS_POWER WSMAN_URI_IPS("IPS_PowerManagementService")

/* AMT_RedirectionService.EnabledState: 32768 + bit0 IDER + bit1 SOL (spec §4.2). */
#define REDIR_BASE 32768u
#define REDIR_IDER 1u
#define REDIR_SOL 2u

struct amt_client {
    apr_pool_t *pool;
    wsman_client *ws;
    char expected_id[37];      /* the configured SystemId: what PlatformGUID must say */
    /* Identity is static per device: read once per client (see amt_get_state). */
    int identity_read;
    char model[64];
    char manufacturer[64];
    char hostname[64];
    char platform_guid[37];
};

int amt_ops_global_init(void)
{
    xmlInitParser();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return AMT_E_PROTOCOL;
    return amt_tls_global_init() == 0 ? AMT_OK : AMT_E_PROTOCOL;
}

const char *amt_rc_name(int rc)
{
    switch (rc) {
    case AMT_OK: return "AMT_OK";
    case AMT_E_UNREACHABLE: return "AMT_E_UNREACHABLE";
    case AMT_E_AUTH: return "AMT_E_AUTH";
    case AMT_E_TLS: return "AMT_E_TLS";
    case AMT_E_FAULT: return "AMT_E_FAULT";
    case AMT_E_PROTOCOL: return "AMT_E_PROTOCOL";
    case AMT_E_RETURN_VALUE: return "AMT_E_RETURN_VALUE";
    case AMT_E_UNSUPPORTED: return "AMT_E_UNSUPPORTED";
    case AMT_E_INVALID: return "AMT_E_INVALID";
    case AMT_E_IDENTITY: return "AMT_E_IDENTITY";
    case AMT_E_TRANSIENT: return "AMT_E_TRANSIENT";
    default: return "AMT_E_?";
    }
}

/* ---- client life cycle --------------------------------------------------- */

/* Callers may pass err = NULL; the code below always writes a reason, so point
 * it at a local scratch buffer instead of testing err at every write. */
#define USE_SCRATCH_IF_NO_ERRBUF(err, errlen)                                          \
    char err##_scratch_[8];                                                            \
    if (!(err) || !(errlen)) {                                                         \
        (err) = err##_scratch_;                                                        \
        (errlen) = sizeof err##_scratch_;                                              \
    }

static apr_status_t client_cleanup(void *data)
{
    amt_client *c = data;
    wsman_client_free(c->ws);
    c->ws = NULL;
    return APR_SUCCESS;
}

amt_client *amt_client_create(apr_pool_t *pool, const amt_device *d, long timeout_ms)
{
    char err[160];
    return amt_client_create_err(pool, d, timeout_ms, err, sizeof err);
}

amt_client *amt_client_create_err(apr_pool_t *pool, const amt_device *d, long timeout_ms,
                                  char *err, size_t errlen)
{
    if (!pool || !d || !d->host) {
        snprintf(err, errlen, "no device host");
        return NULL;
    }
    amt_client *c = apr_pcalloc(pool, sizeof *c);
    c->pool = pool;
    /* AmtIdentityCheck off leaves it empty: identity_verdict then accepts any GUID */
    snprintf(c->expected_id, sizeof c->expected_id, "%s", d->identity_unchecked ? "" : d->system_id);
    wsman_http_config cfg = {
        .host = d->host,
        .port = amt_device_wsman_port(d),
        .tls = d->tls,
        .ca_file = d->tls_ca_file,
        .pin = d->tls_pin_set ? d->tls_pin : NULL,
        .insecure = d->tls_insecure,
        .legacy = d->tls_legacy,
        .user = d->user,
        .password = d->password,
        .timeout_ms = timeout_ms,
    };
    /* The transport copies what it keeps, so nothing of d is referenced after this. */
    c->ws = wsman_client_new(&cfg, err, errlen);
    if (!c->ws)
        return NULL;
    apr_pool_cleanup_register(pool, c, client_cleanup, apr_pool_cleanup_null);
    return c;
}

void amt_client_destroy(amt_client *c)
{
    if (c)
        apr_pool_cleanup_run(c->pool, c, client_cleanup);
}

unsigned long amt_client_calls(const amt_client *c) { return wsman_client_calls(c->ws); }
long amt_client_connects(const amt_client *c) { return wsman_client_connects(c->ws); }
const char *amt_client_tls(const amt_client *c) { return wsman_client_tls(c->ws); }

/* ---- exchange helpers ---------------------------------------------------- */

/* WS-Transfer Get of a singleton; on AMT_OK the reply holds the instance element. */
static int get_instance(amt_client *c, const char *uri, const char *cls, wsman_reply *r,
                        char *err, size_t errlen)
{
    xmlNodePtr body;
    xmlDocPtr req = wsman_client_request(c->ws, WSMAN_ACTION_GET, uri, &body);
    int rc = wsman_client_send(c->ws, req, r, err, errlen);
    if (rc == AMT_OK && !wsman_reply_instance(r, uri, cls)) {
        snprintf(err, errlen, "Get %s: reply has no instance", cls);
        rc = AMT_E_PROTOCOL;
    }
    return rc;
}

/* Invokes uri/method with simple <h:name>value</h:name> parameters and reads ReturnValue.
 * Does not judge the ReturnValue: callers map it. */
static int invoke(amt_client *c, const char *uri, const char *method, const char *const *names,
                  const char *const *values, size_t n, uint32_t *rv, char *err, size_t errlen,
                  wsman_reply *r)
{
    char action[256], input[96];
    snprintf(action, sizeof action, "%s/%s", uri, method);
    snprintf(input, sizeof input, "%s_INPUT", method);
    xmlNodePtr body, in;
    xmlDocPtr req = wsman_client_request(c->ws, action, uri, &body);
    if (req) {
        in = wsman_add_ns_element(body, uri, input);
        for (size_t i = 0; in && i < n; i++)
            if (!wsman_add_child(in, names[i], values[i]))
                in = NULL;
        if (!in) {
            xmlFreeDoc(req);
            req = NULL;
        }
    }
    int rc = wsman_client_send(c->ws, req, r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_method_rv(r, uri, method, rv, err, errlen);
    return rc;
}

/* CIM_KVMRedirectionSAP Get into s->kvm_*: a DestinationUnreachable fault is a platform
 * without KVM (AMT_OK, kvm_available 0); other faults keep the exchange's reason in err. */
static int read_kvm_sap(amt_client *c, amt_state *s, char *err, size_t errlen)
{
    wsman_reply r;
    int rc = get_instance(c, URI_KVM_SAP, "CIM_KVMRedirectionSAP", &r, err, errlen);
    if (rc == AMT_OK || rc == AMT_E_FAULT)
        rc = amt_reply_kvm_sap(&r, s, err, errlen);
    wsman_reply_free(&r);
    return rc;
}

/* ---- state read ---------------------------------------------------------- */

int amt_platform_guid_to_uuid(const char *guid, char out[37])
{
    if (!guid)
        return -1;
    if (strlen(guid) == 36)
        return amt_uuid_canonical(guid, out);
    if (strlen(guid) != 32)
        return -1;
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)guid[i]))
            return -1;
    /* SMBIOS byte order: the first three groups are little-endian (spec §4.7). */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = (char)tolower((unsigned char)guid[order[i] * 2]);
        *o++ = (char)tolower((unsigned char)guid[order[i] * 2 + 1]);
    }
    *o = '\0';
    return 0;
}

/* Power state: Enumerate + Pull of CIM_ServiceAvailableToElement, as DMT and
 * MeshCommander do (spec §4.6); the first item's PowerState. */
static int read_power_state(amt_client *c, int *power, char *err, size_t errlen)
{
    wsman_reply r;
    xmlNodePtr body;
    xmlDocPtr req = wsman_client_request(c->ws, WSMAN_ACTION_ENUMERATE, URI_SATE, &body);
    if (req) {
        xmlNodePtr e = xmlNewChild(body, NULL, BAD_CAST "Enumerate", NULL);
        xmlNsPtr en = e ? xmlNewNs(e, BAD_CAST WSMAN_NS_ENUM, NULL) : NULL;
        if (en) {
            xmlSetNs(e, en);
        } else {
            xmlFreeDoc(req);
            req = NULL;
        }
    }
    int rc = wsman_client_send(c->ws, req, &r, err, errlen);
    char ctx[128];
    if (rc == AMT_OK)
        rc = amt_reply_enum_context(&r, ctx, sizeof ctx, err, errlen);
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;

    req = wsman_client_request(c->ws, WSMAN_ACTION_PULL, URI_SATE, &body);
    if (req) {
        xmlNodePtr p = xmlNewChild(body, NULL, BAD_CAST "Pull", NULL);
        xmlNsPtr en = p ? xmlNewNs(p, BAD_CAST WSMAN_NS_ENUM, NULL) : NULL;
        if (en)
            xmlSetNs(p, en);
        /* MaxElements is large so the whole (one-item) sequence comes back at once and no
         * enumeration context is left open on the device (they are scarce, spec §8). */
        if (!en || !xmlNewTextChild(p, en, BAD_CAST "EnumerationContext", BAD_CAST ctx) ||
            !xmlNewTextChild(p, en, BAD_CAST "MaxElements", BAD_CAST "999") ||
            !xmlNewTextChild(p, en, BAD_CAST "MaxCharacters", BAD_CAST "99999")) {
            xmlFreeDoc(req);
            req = NULL;
        }
    }
    rc = wsman_client_send(c->ws, req, &r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_power_state(&r, power, err, errlen);
    wsman_reply_free(&r);
    return rc;
}

/* CIM_ComputerSystemPackage.PlatformGUID into c->platform_guid (empty when the
 * firmware gives none: identity_verdict then fails closed). */
static int read_platform_guid(amt_client *c, char *err, size_t errlen)
{
    wsman_reply r;
    int rc = get_instance(c, URI_CSP, "CIM_ComputerSystemPackage", &r, err, errlen);
    c->platform_guid[0] = '\0';
    if (rc == AMT_OK) {
        char guid[64];
        if (wsman_reply_prop(&r, URI_CSP, "CIM_ComputerSystemPackage", "PlatformGUID", guid,
                             sizeof guid) != 1 ||
            amt_platform_guid_to_uuid(guid, c->platform_guid) != 0)
            c->platform_guid[0] = '\0';
    }
    wsman_reply_free(&r);
    return rc == AMT_E_FAULT ? AMT_OK : rc;
}

/* AMT_OK when c->platform_guid is the configured SystemId, else AMT_E_IDENTITY with
 * the reason (both GUIDs: neither is a secret) in err. */
static int identity_verdict(amt_client *c, char *err, size_t errlen)
{
    if (!c->expected_id[0])
        return AMT_OK; /* AmtIdentityCheck off (logged at start-up) */
    amt_identity v = amt_identity_check(c->platform_guid, c->expected_id);
    if (v == AMT_ID_MATCH)
        return AMT_OK;
    snprintf(err, errlen,
             "identity %s: the device reports platform GUID %s, configured SystemId is %s",
             amt_identity_text(v), c->platform_guid[0] ? c->platform_guid : "(none)",
             c->expected_id);
    return AMT_E_IDENTITY;
}

int amt_verify_identity(amt_client *c, char *err, size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    int rc = read_platform_guid(c, err, errlen);
    return rc == AMT_OK ? identity_verdict(c, err, errlen) : rc;
}

/* Identity Gets; a fault means "this firmware does not expose it" and leaves the field
 * empty, but transport errors abort so that a later call retries. */
static int read_identity(amt_client *c, char *err, size_t errlen)
{
    wsman_reply r;
    int rc = get_instance(c, URI_CHASSIS, "CIM_Chassis", &r, err, errlen);
    if (rc == AMT_OK)
        amt_reply_chassis(&r, c->model, sizeof c->model, c->manufacturer,
                          sizeof c->manufacturer);
    wsman_reply_free(&r);
    if (rc != AMT_OK && rc != AMT_E_FAULT)
        return rc;

    rc = get_instance(c, URI_GENERAL, "AMT_GeneralSettings", &r, err, errlen);
    if (rc == AMT_OK)
        amt_reply_hostname(&r, c->hostname, sizeof c->hostname);
    wsman_reply_free(&r);
    if (rc != AMT_OK && rc != AMT_E_FAULT)
        return rc;

    if ((rc = read_platform_guid(c, err, errlen)) != AMT_OK)
        return rc;
    c->identity_read = 1;
    return AMT_OK;
}

/* IPS_PowerManagementService.OSPowerSavingState; 0 when the class is absent
 * (DestinationUnreachable: firmware before AMT 10). */
static int read_os_power_saving(amt_client *c, int *state, char *err, size_t errlen)
{
    wsman_reply r;
    *state = 0;
    int rc = get_instance(c, URI_IPS_POWER, "IPS_PowerManagementService", &r, err, errlen);
    if (rc == AMT_OK || rc == AMT_E_FAULT)
        rc = amt_reply_os_power_saving(&r, state, err, errlen);
    wsman_reply_free(&r);
    return rc;
}

int amt_get_state(amt_client *c, amt_state *out, char *err, size_t errlen)
{
    return amt_get_state_with(c, NULL, out, err, errlen);
}

int amt_get_state_with(amt_client *c, const amt_state *known, amt_state *out, char *err,
                       size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    if (known && known->identity_valid && !c->identity_read) {
        /* Copy before out is cleared: known may be out itself. */
        snprintf(c->model, sizeof c->model, "%s", known->model);
        snprintf(c->manufacturer, sizeof c->manufacturer, "%s", known->manufacturer);
        snprintf(c->hostname, sizeof c->hostname, "%s", known->hostname);
        snprintf(c->platform_guid, sizeof c->platform_guid, "%s", known->platform_guid);
        c->identity_read = 1;
    }
    memset(out, 0, sizeof *out);
    wsman_reply r;
    uint32_t u;
    int b, rc;

    /* 1. SOL / IDER / listener (spec §5.1 step 1). */
    rc = get_instance(c, URI_REDIR, "AMT_RedirectionService", &r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_redirection(&r, &u, &b, err, errlen);
    if (rc == AMT_OK)
        amt_state_set_redirection(out, u, b);
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;
    /* The firmware version rides on every reply's Server: header (spec §1.3). */
    amt_fw_from_server_header(wsman_client_server_header(c->ws), out->fw_version,
                              sizeof out->fw_version);

    /* 2. Consent policy and state (step 2). DestinationUnreachable: this platform has
     * no consent service (as MeshCommander assumes for Standard Manageability), so
     * consent does not apply; the rest of the state is still read. */
    rc = get_instance(c, URI_OPTIN, "IPS_OptInService", &r, err, errlen);
    if (rc == AMT_OK || rc == AMT_E_FAULT)
        rc = amt_reply_optin(&r, out, err, errlen);
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;

    /* 3. KVM (step 3): DestinationUnreachable = no KVM on this platform. */
    rc = read_kvm_sap(c, out, err, errlen);
    if (rc != AMT_OK)
        return rc;

    /* 4. Control mode (spec §4.5): ProvisioningMode 1 = ACM, 4 = CCM. */
    rc = get_instance(c, URI_SETUP, "AMT_SetupAndConfigurationService", &r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_control_mode(&r, out, err, errlen);
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;

    /* 5. Power state (2 exchanges). */
    rc = read_power_state(c, &out->power_state, err, errlen);
    if (rc != AMT_OK)
        return rc;

    /* 5b. Modern Standby: PowerState stays 2, only OSPowerSavingState says 3. */
    if (out->power_state == 2 &&
        (rc = read_os_power_saving(c, &out->os_power_saving, err, errlen)) != AMT_OK)
        return rc;

    /* 6. Identity: the static fields once per client, the PlatformGUID every time. */
    if (!c->identity_read)
        rc = read_identity(c, err, errlen);
    else
        rc = read_platform_guid(c, err, errlen);
    if (rc == AMT_OK)
        rc = identity_verdict(c, err, errlen);
    if (rc != AMT_OK)
        return rc;
    snprintf(out->model, sizeof out->model, "%s", c->model);
    snprintf(out->manufacturer, sizeof out->manufacturer, "%s", c->manufacturer);
    snprintf(out->hostname, sizeof out->hostname, "%s", c->hostname);
    snprintf(out->platform_guid, sizeof out->platform_guid, "%s", c->platform_guid);
    out->identity_valid = 1;
    return AMT_OK;
}

/* ---- KVM / SOL ----------------------------------------------------------- */

/* Puts AMT_RedirectionService back as read in r (spec §3.3: echo every property),
 * with EnabledState = es and ListenerEnabled = listener. */
static int put_redirection(amt_client *c, wsman_reply *got, uint32_t es, int listener,
                           char *err, size_t errlen)
{
    char es_txt[16];
    snprintf(es_txt, sizeof es_txt, "%u", es);
    const char *names[] = {"EnabledState", "ListenerEnabled"};
    const char *values[] = {es_txt, listener ? "true" : "false"};
    xmlNodePtr inst = wsman_reply_instance(got, URI_REDIR, "AMT_RedirectionService");
    xmlNodePtr body;
    xmlDocPtr req = wsman_client_request(c->ws, WSMAN_ACTION_PUT, URI_REDIR, &body);
    if (req && (!inst || !wsman_add_put_instance(body, URI_REDIR, inst, names, values, 2))) {
        xmlFreeDoc(req);
        req = NULL;
    }
    wsman_reply r;
    int rc = wsman_client_send(c->ws, req, &r, err, errlen);
    int now;
    uint32_t now_es;
    /* PutResponse carries the updated instance: make sure the listener really changed. */
    if (rc == AMT_OK && amt_reply_redirection(&r, &now_es, &now, err, errlen) == AMT_OK &&
        now != listener) {
        snprintf(err, errlen, "device kept ListenerEnabled=%s", now ? "true" : "false");
        rc = AMT_E_PROTOCOL;
    }
    wsman_reply_free(&r);
    return rc;
}

/* Reads the redirection service and sets the listener to `want` if it differs. */
static int ensure_listener(amt_client *c, int want_if_kvm, int kvm, char *err, size_t errlen)
{
    wsman_reply r;
    uint32_t es;
    int listener;
    int rc = get_instance(c, URI_REDIR, "AMT_RedirectionService", &r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_redirection(&r, &es, &listener, err, errlen);
    if (rc == AMT_OK) {
        amt_state s;
        amt_state_set_redirection(&s, es, listener);
        /* The listener serves KVM, SOL and IDER alike (spec §4.2, §5.2 step 3). */
        int want = (want_if_kvm && kvm) || s.sol_enabled || s.ider_enabled;
        if (want != listener)
            rc = put_redirection(c, &r, es, want, err, errlen);
    }
    wsman_reply_free(&r);
    return rc;
}

static int kvm_sap_state_change(amt_client *c, int enable, char *err, size_t errlen)
{
    const char *names[] = {"RequestedState"};
    const char *values[] = {enable ? "2" : "3"};
    uint32_t rv = 0;
    wsman_reply r;
    int rc = invoke(c, URI_KVM_SAP, "RequestStateChange", names, values, 1, &rv, err, errlen, &r);
    if (rc == AMT_E_FAULT && amt_reply_fault_is(&r, "DestinationUnreachable")) {
        snprintf(err, errlen, "the device has no KVM");
        rc = AMT_E_UNSUPPORTED;
    } else if (rc == AMT_OK && rv != 0) {
        snprintf(err, errlen, "KVM RequestStateChange returned %u", rv);
        rc = AMT_E_RETURN_VALUE;
    }
    wsman_reply_free(&r);
    return rc;
}

int amt_set_kvm(amt_client *c, int enable, char *err, size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    int rc;
    if (enable) {
        /* The listener must be on before KVM can be enabled remotely (SDK, spec §4.2). */
        if ((rc = ensure_listener(c, 1, 1, err, errlen)) != AMT_OK)
            return rc;
        return kvm_sap_state_change(c, 1, err, errlen);
    }
    if ((rc = kvm_sap_state_change(c, 0, err, errlen)) != AMT_OK)
        return rc;
    /* KVM off: keep the listener only if SOL or IDER still need it. */
    return ensure_listener(c, 0, 0, err, errlen);
}

/* Whether KVM is enabled now (for the listener decision when SOL goes off). */
static int kvm_enabled_now(amt_client *c, int *enabled, char *err, size_t errlen)
{
    amt_state s;
    int rc = read_kvm_sap(c, &s, err, errlen);
    *enabled = rc == AMT_OK && s.kvm_enabled;
    return rc;
}

int amt_set_sol(amt_client *c, int enable, char *err, size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    wsman_reply r;
    uint32_t es;
    int listener;
    int rc = get_instance(c, URI_REDIR, "AMT_RedirectionService", &r, err, errlen);
    if (rc == AMT_OK)
        rc = amt_reply_redirection(&r, &es, &listener, err, errlen);
    if (rc != AMT_OK) {
        wsman_reply_free(&r);
        return rc;
    }
    amt_state s;
    amt_state_set_redirection(&s, es, listener);
    /* Keep IDER exactly as it is; only the SOL bit changes. */
    uint32_t want_es = REDIR_BASE | (s.ider_enabled ? REDIR_IDER : 0) | (enable ? REDIR_SOL : 0);
    if (want_es != es) {
        char es_txt[16];
        snprintf(es_txt, sizeof es_txt, "%u", want_es);
        const char *names[] = {"RequestedState"};
        const char *values[] = {es_txt};
        uint32_t rv = 0;
        wsman_reply m;
        rc = invoke(c, URI_REDIR, "RequestStateChange", names, values, 1, &rv, err, errlen, &m);
        wsman_reply_free(&m);
        if (rc == AMT_OK && rv != 0) {
            snprintf(err, errlen, "redirection RequestStateChange returned %u", rv);
            rc = AMT_E_RETURN_VALUE;
        }
    }
    int want_listener = 1;
    if (rc == AMT_OK && !enable && !s.ider_enabled)
        rc = kvm_enabled_now(c, &want_listener, err, errlen);
    if (rc == AMT_OK && want_listener != listener)
        rc = put_redirection(c, &r, want_es, want_listener, err, errlen);
    wsman_reply_free(&r);
    return rc;
}

/* ---- consent ------------------------------------------------------------- */

static const char *optin_rv_text(uint32_t rv)
{
    switch (rv) {
    case 1: return "internal error";
    case 2: return "invalid state";
    case 3: return "blocked after failed attempts";
    case 2066: return "consent code rejected";
    default: return "failed";
    }
}

static int optin_call(amt_client *c, const char *method, const char *code, uint32_t *return_value,
                      char *err, size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    const char *names[] = {"OptInCode"};
    const char *values[] = {code};
    uint32_t rv = 0;
    wsman_reply r;
    int rc = invoke(c, URI_OPTIN, method, names, values, code ? 1 : 0, &rv, err, errlen, &r);
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;
    if (return_value)
        *return_value = rv;
    if (rv != 0) {
        snprintf(err, errlen, "%s returned %u (%s)", method, rv, optin_rv_text(rv));
        return AMT_E_RETURN_VALUE;
    }
    return AMT_OK;
}

int amt_optin_start(amt_client *c, uint32_t *return_value, char *err, size_t errlen)
{
    return optin_call(c, "StartOptIn", NULL, return_value, err, errlen);
}

int amt_optin_send_code(amt_client *c, const char *code, uint32_t *return_value, char *err,
                        size_t errlen)
{
    /* The code is 0..999999 shown as six digits; AMT takes it as an integer, so leading
     * zeros are dropped on the wire (spec §4.4). Anything else is refused here. */
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n > 6 || strspn(code, "0123456789") != n) {
        if (err && errlen)
            snprintf(err, errlen, "consent code must be 1 to 6 digits");
        return AMT_E_INVALID;
    }
    char num[8];
    snprintf(num, sizeof num, "%lu", strtoul(code, NULL, 10));
    return optin_call(c, "SendOptInCode", num, return_value, err, errlen);
}

int amt_optin_cancel(amt_client *c, uint32_t *return_value, char *err, size_t errlen)
{
    return optin_call(c, "CancelOptIn", NULL, return_value, err, errlen);
}

/* ---- power --------------------------------------------------------------- */

/* A power method whose input is one value then the managed system's EPR, in the
 * method's schema order (firmware validates it): RequestPowerStateChange and
 * RequestOSPowerSavingStateChange. Maps ReturnValue != 0 to AMT_E_RETURN_VALUE and an
 * absent class to AMT_E_UNSUPPORTED. */
static int power_method(amt_client *c, const char *uri, const char *method, const char *param,
                        const char *value, uint32_t *return_value, char *err, size_t errlen)
{
    char action[256], input[96];
    snprintf(action, sizeof action, "%s/%s", uri, method);
    snprintf(input, sizeof input, "%s_INPUT", method);
    xmlNodePtr body, in;
    xmlDocPtr req = wsman_client_request(c->ws, action, uri, &body);
    if (req && (!(in = wsman_add_ns_element(body, uri, input)) ||
                !wsman_add_child(in, param, value) ||
                !wsman_add_managed_system_epr(in, "ManagedElement"))) {
        xmlFreeDoc(req);
        req = NULL;
    }
    wsman_reply r;
    uint32_t rv = 0;
    int rc = wsman_client_send(c->ws, req, &r, err, errlen);
    if (rc == AMT_E_FAULT && amt_reply_fault_is(&r, "DestinationUnreachable")) {
        snprintf(err, errlen, "the device does not offer %s", method);
        rc = AMT_E_UNSUPPORTED;
    } else if (rc == AMT_OK && wsman_reply_return_value(&r, uri, method, &rv) != 0) {
        snprintf(err, errlen, "%s: reply has no ReturnValue", method);
        rc = AMT_E_PROTOCOL;
    }
    wsman_reply_free(&r);
    if (rc != AMT_OK)
        return rc;
    if (return_value)
        *return_value = rv;
    if (rv != 0) {
        snprintf(err, errlen, "%s returned %u", method, rv);
        return AMT_E_RETURN_VALUE;
    }
    return AMT_OK;
}

int amt_os_power_saving_wake(amt_client *c, uint32_t *return_value, char *err, size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    return power_method(c, URI_IPS_POWER, "RequestOSPowerSavingStateChange", "OSPowerSavingState",
                        "2", return_value, err, errlen);
}

int amt_power_change(amt_client *c, int power_state, uint32_t *return_value, char *err,
                     size_t errlen)
{
    USE_SCRATCH_IF_NO_ERRBUF(err, errlen);
    /* MOF legal values of RequestPowerStateChange.PowerState (spec §4.6). */
    if (power_state < 2 || power_state > 16) {
        snprintf(err, errlen, "invalid power state %d", power_state);
        return AMT_E_INVALID;
    }
    char ps[8];
    snprintf(ps, sizeof ps, "%d", power_state);
    return power_method(c, URI_POWER_SVC, "RequestPowerStateChange", "PowerState", ps,
                        return_value, err, errlen);
}
