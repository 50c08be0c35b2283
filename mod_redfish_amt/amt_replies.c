/* Reading AMT replies (contract: amt_replies.h; the class facts behind each mapping are in
 * docs/test-vectors.md and the WS-Man notes of amt_ops.c). */
#include "amt_replies.h"

#include <stdio.h>
#include <string.h>

/* AMT_RedirectionService.EnabledState: 32768 + bit0 IDER + bit1 SOL. */
#define REDIR_BASE 32768u
#define REDIR_IDER 1u
#define REDIR_SOL 2u

static int prop_u32(wsman_reply *r, const char *uri, const char *cls, const char *prop,
                    uint32_t *out, char *err, size_t errlen)
{
    char txt[16];
    if (wsman_reply_prop(r, uri, cls, prop, txt, sizeof txt) != 1 ||
        wsman_parse_u32(txt, out) != 0) {
        snprintf(err, errlen, "%s.%s missing or not an integer", cls, prop);
        return AMT_E_PROTOCOL;
    }
    return AMT_OK;
}

static int prop_bool(wsman_reply *r, const char *uri, const char *cls, const char *prop,
                     int *out, char *err, size_t errlen)
{
    char txt[8];
    int b = -1;
    if (wsman_reply_prop(r, uri, cls, prop, txt, sizeof txt) == 1)
        b = wsman_parse_bool(txt);
    if (b < 0) {
        snprintf(err, errlen, "%s.%s missing or not a boolean", cls, prop);
        return AMT_E_PROTOCOL;
    }
    *out = b;
    return AMT_OK;
}

int amt_reply_fault_is(const wsman_reply *r, const char *local)
{
    return r->is_fault && strcmp(r->fault_subcode, local) == 0;
}

int amt_reply_redirection(wsman_reply *r, uint32_t *enabled_state, int *listener, char *err,
                          size_t errlen)
{
    int rc = prop_u32(r, AMT_URI_REDIR, "AMT_RedirectionService", "EnabledState", enabled_state,
                      err, errlen);
    if (rc == AMT_OK)
        rc = prop_bool(r, AMT_URI_REDIR, "AMT_RedirectionService", "ListenerEnabled", listener,
                       err, errlen);
    return rc;
}

void amt_state_set_redirection(amt_state *out, uint32_t es, int listener)
{
    int known = es >= REDIR_BASE && es <= (REDIR_BASE | REDIR_IDER | REDIR_SOL);
    out->sol_enabled = known && (es & REDIR_SOL);
    out->ider_enabled = known && (es & REDIR_IDER);
    out->listener_enabled = listener;
}

int amt_reply_optin(wsman_reply *r, amt_state *out, char *err, size_t errlen)
{
    uint32_t u;
    if (r->is_fault) {
        /* No consent service on this platform (Standard Manageability): consent does not
         * apply, the rest of the state is still read (docs/real-hardware-wsman.md). */
        if (!amt_reply_fault_is(r, "DestinationUnreachable"))
            return AMT_E_FAULT;
        out->optin_absent = 1;
        return AMT_OK;
    }
    int rc = prop_u32(r, AMT_URI_OPTIN, "IPS_OptInService", "OptInRequired",
                      &out->optin_required, err, errlen);
    if (rc == AMT_OK)
        rc = prop_u32(r, AMT_URI_OPTIN, "IPS_OptInService", "OptInState", &u, err, errlen);
    if (rc == AMT_OK)
        out->optin_state = (amt_optin_state)u;
    return rc;
}

int amt_reply_os_power_saving(wsman_reply *r, int *state, char *err, size_t errlen)
{
    uint32_t u;
    *state = 0;
    if (r->is_fault)
        return amt_reply_fault_is(r, "DestinationUnreachable") ? AMT_OK : AMT_E_FAULT;
    int rc = prop_u32(r, AMT_URI_IPS_POWER, "IPS_PowerManagementService", "OSPowerSavingState",
                      &u, err, errlen);
    if (rc == AMT_OK)
        *state = u <= 0xffff ? (int)u : 0;
    return rc;
}

int amt_reply_kvm_sap(wsman_reply *r, amt_state *out, char *err, size_t errlen)
{
    out->kvm_available = out->kvm_enabled = out->kvm_active = 0;
    if (r->is_fault)
        return amt_reply_fault_is(r, "DestinationUnreachable") ? AMT_OK : AMT_E_FAULT;
    uint32_t u;
    int rc = prop_u32(r, AMT_URI_KVM_SAP, "CIM_KVMRedirectionSAP", "EnabledState", &u, err,
                      errlen);
    if (rc == AMT_OK) {
        /* 2 = enabled with a session open, 6 = enabled and idle, 3 = disabled (Intel's LMS
         * reads the SAP the same way). */
        out->kvm_available = 1;
        out->kvm_enabled = u == 2 || u == 6;
        out->kvm_active = u == 2;
    }
    return rc;
}

int amt_reply_control_mode(wsman_reply *r, amt_state *out, char *err, size_t errlen)
{
    uint32_t u;
    int rc = prop_u32(r, AMT_URI_SETUP, "AMT_SetupAndConfigurationService", "ProvisioningMode",
                      &u, err, errlen);
    if (rc == AMT_OK)
        out->control_mode = u == 1 ? AMT_MODE_ACM : u == 4 ? AMT_MODE_CCM : AMT_MODE_UNKNOWN;
    return rc;
}

int amt_reply_enum_context(wsman_reply *r, char *ctx, size_t ctxlen, char *err, size_t errlen)
{
    if (wsman_reply_text(r, NULL, "/s:Envelope/s:Body/en:EnumerateResponse/en:EnumerationContext",
                         ctx, ctxlen) != 1) {
        snprintf(err, errlen, "Enumerate: no EnumerationContext");
        return AMT_E_PROTOCOL;
    }
    return AMT_OK;
}

int amt_reply_power_state(wsman_reply *r, int *power, char *err, size_t errlen)
{
    char txt[16];
    uint32_t v;
    /* Items are CIM_AssociatedPowerManagementService instances, in their own namespace,
     * not the enumerated association's. */
    if (wsman_reply_text(r, AMT_URI_APMS,
                         "/s:Envelope/s:Body/en:PullResponse/en:Items/"
                         "c:CIM_AssociatedPowerManagementService[1]/c:PowerState",
                         txt, sizeof txt) != 1 ||
        wsman_parse_u32(txt, &v) != 0 || v > 0xffff) {
        snprintf(err, errlen, "Pull: no PowerState");
        return AMT_E_PROTOCOL;
    }
    *power = (int)v;
    return AMT_OK;
}

void amt_reply_chassis(wsman_reply *r, char *model, size_t modellen, char *manufacturer,
                       size_t manufacturerlen)
{
    if (wsman_reply_prop(r, AMT_URI_CHASSIS, "CIM_Chassis", "Model", model, modellen) < 0)
        model[0] = '\0';
    if (wsman_reply_prop(r, AMT_URI_CHASSIS, "CIM_Chassis", "Manufacturer", manufacturer,
                         manufacturerlen) < 0)
        manufacturer[0] = '\0';
}

void amt_reply_hostname(wsman_reply *r, char *hostname, size_t hostnamelen)
{
    if (wsman_reply_prop(r, AMT_URI_GENERAL, "AMT_GeneralSettings", "HostName", hostname,
                         hostnamelen) < 0)
        hostname[0] = '\0';
}

void amt_reply_platform_guid(wsman_reply *r, char out[37])
{
    char guid[64];
    if (wsman_reply_prop(r, AMT_URI_CSP, "CIM_ComputerSystemPackage", "PlatformGUID", guid,
                         sizeof guid) != 1 ||
        amt_platform_guid_to_uuid(guid, out) != 0)
        out[0] = '\0';
}

void amt_fw_from_server_header(const char *server, char *out, size_t outlen)
{
    static const char prefix[] = "Intel(R) Active Management Technology ";
    out[0] = '\0';
    if (strncmp(server, prefix, sizeof prefix - 1) != 0)
        return;
    const char *v = server + sizeof prefix - 1;
    size_t n = strspn(v, "0123456789.");
    if (n == 0 || n >= outlen)
        return;
    memcpy(out, v, n);
    out[n] = '\0';
}

int amt_reply_method_rv(wsman_reply *r, const char *uri, const char *method, uint32_t *rv,
                        char *err, size_t errlen)
{
    if (wsman_reply_return_value(r, uri, method, rv) != 0) {
        snprintf(err, errlen, "%s: reply has no ReturnValue", method);
        return AMT_E_PROTOCOL;
    }
    return AMT_OK;
}
