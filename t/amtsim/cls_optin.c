/* IPS_OptInService (user consent) and
 * AMT_SetupAndConfigurationService (control mode, UUID). */
#include "wsman.h"

#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

static const char *const svc_keys[] = { "CreationClassName", "Name", "SystemCreationClassName", "SystemName", NULL };

static int optin_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    optin_tick(d, now_s());
    propu(b, p, "CanModifyOptInPolicy", d->mode == 1 ? 1 : 0);
    prop(b, p, "CreationClassName", "IPS_OptInService");
    prop(b, p, "ElementName", "Intel(r) AMT OptIn Service");
    prop(b, p, "Name", "Intel(r) AMT OptIn Service");
    propu(b, p, "OptInCodeTimeout", d->optin.code_timeout);
    propu(b, p, "OptInDisplayTimeout", d->optin.display_timeout);
    propu(b, p, "OptInRequired", d->optin_required);
    propu(b, p, "OptInState", (unsigned long)d->optin.state);
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "Intel(r) AMT");
    return 0;
}

static int optin_put(struct wsctx *x)
{
    struct device *d = x->d;
    char v[64];
    unsigned long req = d->optin_required, disp = d->optin.display_timeout, code = d->optin.code_timeout;
    if (ws_text(x->input, x->uri, "OptInRequired", v, sizeof v) &&
        (ws_uint(v, OPTIN_ALL, &req) || (req != 0 && req != 1 && req != OPTIN_ALL)))
        return ws_fault(x, F_WSMAN, "InvalidRepresentation", "The value of OptInRequired is not valid.");
    if (ws_text(x->input, x->uri, "OptInDisplayTimeout", v, sizeof v) && ws_uint(v, 65535, &disp))
        return ws_fault(x, F_WSMAN, "InvalidRepresentation", "The value of OptInDisplayTimeout is not valid.");
    if (ws_text(x->input, x->uri, "OptInCodeTimeout", v, sizeof v) && ws_uint(v, 4294967295ul, &code))
        return ws_fault(x, F_WSMAN, "InvalidRepresentation", "The value of OptInCodeTimeout is not valid.");
    if (d->mode != 1) {
        /* CCM: policy and display timeout are read-only; a change is refused (fault UNCONFIRMED) */
        if (req != d->optin_required)
            return ws_fault(x, F_WSMAN, "AccessDenied", "The sender was not authorized to access the resource.");
        disp = d->optin.display_timeout;
    }
    d->optin_required = (uint32_t)req;
    d->optin.display_timeout = (unsigned)(disp ? disp : 1);
    d->optin.code_timeout = (unsigned)(code ? code : 1);
    return 0;
}

static int optin_call(struct wsctx *x)
{
    struct device *d = x->d;
    if (!strcmp(x->method, "StartOptIn"))
        return optin_start(d);
    if (!strcmp(x->method, "CancelOptIn"))
        return optin_cancel(d);
    char v[32];
    unsigned long code;
    /* integer 0..999999; leading zeros may be dropped by clients, so compare numerically */
    if (!ws_text(x->input, x->uri, "OptInCode", v, sizeof v) || ws_uint(v, 999999, &code))
        return 36; /* INVALID_PARAMETER */
    return optin_send_code(d, code);
}

static const char *const optin_methods[] = { "StartOptIn", "SendOptInCode", "CancelOptIn", NULL };
const struct wsclass cls_optin = {
    "IPS_OptInService", URI_IPS "IPS_OptInService", svc_keys, optin_methods,
    true, true, true, NULL, NULL, optin_render, optin_put, optin_call,
};

/* ---- AMT_SetupAndConfigurationService ---- */

static int setup_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    prop(b, p, "CreationClassName", "AMT_SetupAndConfigurationService");
    prop(b, p, "ElementName", "Intel(r) AMT Setup and Configuration Service");
    propu(b, p, "EnabledState", 5);
    prop(b, p, "Name", "Intel(r) AMT Setup and Configuration Service");
    propu(b, p, "PasswordModel", 1);
    propu(b, p, "ProvisioningMode", (unsigned long)d->mode);
    prop(b, p, "ProvisioningServerOTP", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    propu(b, p, "ProvisioningState", 2);
    propu(b, p, "RequestedState", 12);
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "Intel(r) AMT");
    propb(b, p, "ZeroTouchConfigurationEnabled", true);
    return 0;
}

static int setup_call(struct wsctx *x)
{
    if (strcmp(x->method, "GetUuid"))
        return 16; /* NOT_PERMITTED: provisioning changes are not simulated */
    unsigned char b64[32];
    EVP_EncodeBlock(b64, x->d->guid, 16);
    prop(x->out, "g", "UUID", (const char *)b64);
    return 0;
}

static const char *const setup_methods[] = { "GetUuid", "CommitChanges", "Unprovision", "SetMEBxPassword", NULL };
const struct wsclass cls_setup = {
    "AMT_SetupAndConfigurationService", URI_AMT "AMT_SetupAndConfigurationService", svc_keys, setup_methods,
    true, false, true, NULL, NULL, setup_render, NULL, setup_call,
};
