/* KVM and redirection control classes:
 * IPS_KVMRedirectionSettingData, AMT_RedirectionService, CIM_KVMRedirectionSAP.
 * Their state governs the redirection port (redir.c). */
#include "wsman.h"

#include <stdio.h>
#include <string.h>

static const char *const svc_keys[] = { "CreationClassName", "Name", "SystemCreationClassName", "SystemName", NULL };

/* ---- IPS_KVMRedirectionSettingData ---- */

static int kvm_settings_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    propb(b, p, "BackToBackFbMode", d->kvm_b2b);
    propu(b, p, "DefaultScreen", d->kvm_default_screen);
    propb(b, p, "DoubleBufferActive", d->kvm_dblbuf);
    propb(b, p, "DoubleBufferEnabled", d->kvm_dblbuf);
    prop(b, p, "ElementName", "Intel(r) KVM Redirection Settings");
    propb(b, p, "EnabledByMEBx", true);
    propb(b, p, "GrayscalePixelFormatSupported", true);
    propu(b, p, "InitialDecimationModeForLowRes", d->kvm_decimation);
    prop(b, p, "InstanceID", "Intel(r) KVM Redirection Settings");
    propb(b, p, "Is5900PortEnabled", d->kvm_5900);
    propb(b, p, "OptInPolicy", d->kvm_optin_policy);
    propu(b, p, "OptInPolicyTimeout", d->kvm_optin_timeout);
    prop(b, p, "RFBPassword", ""); /* write-only: always read back empty */
    propu(b, p, "SessionTimeout", d->kvm_session_timeout);
    propb(b, p, "ZlibControlSupported", true);
    return 0;
}

static int bad_value(struct wsctx *x, const char *name)
{
    char t[200];
    snprintf(t, sizeof t, "The value of %s is not valid.", name);
    return ws_fault(x, F_WSMAN, "InvalidRepresentation", t);
}

/* Read an optional bool / uint property of a Put body. 0 = absent or ok. */
static int put_bool(struct wsctx *x, const char *name, bool *dst)
{
    char v[64];
    if (!ws_text(x->input, x->uri, name, v, sizeof v))
        return 0;
    bool b;
    if (ws_bool(v, &b))
        return bad_value(x, name);
    *dst = b;
    return 0;
}

static int put_uint(struct wsctx *x, const char *name, unsigned long max, unsigned *dst)
{
    char v[64];
    if (!ws_text(x->input, x->uri, name, v, sizeof v))
        return 0;
    unsigned long u;
    if (ws_uint(v, max, &u))
        return bad_value(x, name);
    *dst = (unsigned)u;
    return 0;
}

static int kvm_settings_put(struct wsctx *x)
{
    struct device *d = x->d;
    /* validate everything first, so that a bad input changes nothing */
    bool b2b = d->kvm_b2b, p5900 = d->kvm_5900, pol = d->kvm_optin_policy, dbl = d->kvm_dblbuf;
    unsigned scr = d->kvm_default_screen, dec = d->kvm_decimation, pto = d->kvm_optin_timeout,
             sto = d->kvm_session_timeout;
    char pw[128] = "";
    if (put_bool(x, "BackToBackFbMode", &b2b) || put_bool(x, "Is5900PortEnabled", &p5900) ||
        put_bool(x, "OptInPolicy", &pol) || put_bool(x, "DoubleBufferEnabled", &dbl) ||
        put_uint(x, "DefaultScreen", 255, &scr) || put_uint(x, "InitialDecimationModeForLowRes", 3, &dec) ||
        put_uint(x, "OptInPolicyTimeout", 65535, &pto) || put_uint(x, "SessionTimeout", 255, &sto))
        return -1;
    ws_text(x->input, x->uri, "RFBPassword", pw, sizeof pw);
    if (pw[0]) {
        /* exactly 8 chars: upper, lower, digit, special; no " , : */
        bool up = false, lo = false, dig = false, sp = false, badc = false;
        for (const char *c = pw; *c; c++) {
            if (*c >= 'A' && *c <= 'Z') up = true;
            else if (*c >= 'a' && *c <= 'z') lo = true;
            else if (*c >= '0' && *c <= '9') dig = true;
            else if (*c == '"' || *c == ',' || *c == ':') badc = true;
            else sp = true;
        }
        if (strlen(pw) != 8 || !up || !lo || !dig || !sp || badc)
            return bad_value(x, "RFBPassword");
    }
    if (p5900 && !d->kvm_5900 && !pw[0])
        return bad_value(x, "Is5900PortEnabled"); /* needs an RFB password (not simulated) */
    d->kvm_b2b = b2b, d->kvm_5900 = p5900, d->kvm_optin_policy = pol, d->kvm_dblbuf = dbl;
    d->kvm_default_screen = scr, d->kvm_decimation = dec, d->kvm_optin_timeout = pto, d->kvm_session_timeout = sto;
    return 0;
}

static int kvm_settings_call(struct wsctx *x)
{
    /* TerminateSession is for a local agent only; remote result UNCONFIRMED: 16 NOT_PERMITTED */
    (void)x;
    return 16;
}

static const char *const kvm_settings_keys[] = { "InstanceID", NULL };
static const char *const kvm_settings_methods[] = { "TerminateSession", NULL };
const struct wsclass cls_kvm_settings = {
    "IPS_KVMRedirectionSettingData", URI_IPS "IPS_KVMRedirectionSettingData", kvm_settings_keys,
    kvm_settings_methods, true, true, true, NULL, NULL, kvm_settings_render, kvm_settings_put, kvm_settings_call,
};

/* ---- AMT_RedirectionService ---- */

static int redir_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    prop(b, p, "CreationClassName", "AMT_RedirectionService");
    prop(b, p, "ElementName", "Intel(r) AMT Redirection Service");
    propu(b, p, "EnabledState", d->redir_state);
    propb(b, p, "ListenerEnabled", d->listener);
    prop(b, p, "Name", "Intel(r) AMT Redirection Service");
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "Intel(r) AMT");
    return 0;
}

static int redir_put(struct wsctx *x)
{
    bool l = x->d->listener;
    /* EnabledState is changed only through RequestStateChange (UNCONFIRMED whether Put may); ignored here */
    if (put_bool(x, "ListenerEnabled", &l))
        return -1;
    x->d->listener = l;
    return 0;
}

static int redir_call(struct wsctx *x)
{
    char v[32];
    unsigned long s;
    if (!ws_text(x->input, x->uri, "RequestedState", v, sizeof v) || ws_uint(v, 65535, &s))
        return 5; /* Invalid Parameter */
    if (s < 32768 || s > 32771)
        return 5;
    x->d->redir_state = (uint16_t)s;
    return 0;
}

static const char *const redir_methods[] = { "RequestStateChange", NULL };
const struct wsclass cls_redirection = {
    "AMT_RedirectionService", URI_AMT "AMT_RedirectionService", svc_keys, redir_methods,
    true, true, true, NULL, NULL, redir_render, redir_put, redir_call,
};

/* ---- CIM_KVMRedirectionSAP ---- */

static int sap_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    prop(b, p, "CreationClassName", "CIM_KVMRedirectionSAP");
    prop(b, p, "ElementName", "KVM Redirection Service Access Point");
    /* 6 = enabled, idle; 2 = enabled with a session open (UNCONFIRMED split); 3 = disabled */
    propu(b, p, "EnabledState", !d->kvm_enabled ? 3 : d->kvm_active ? 2 : 6);
    propu(b, p, "KVMProtocol", 4);
    prop(b, p, "Name", "KVM Redirection Service Access Point");
    propu(b, p, "RequestedState", (unsigned long)d->kvm_requested);
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "ManagedSystem");
    return 0;
}

static int sap_call(struct wsctx *x)
{
    char v[32];
    unsigned long s;
    if (!ws_text(x->input, x->uri, "RequestedState", v, sizeof v) || ws_uint(v, 65535, &s))
        return 5;
    if (s == 2 || s == 3) {
        x->d->kvm_enabled = s == 2;
        x->d->kvm_requested = (int)s;
        return 0;
    }
    /* other MOF values exist but are not implemented by AMT (UNCONFIRMED): Not Supported */
    if (s == 4 || (s >= 6 && s <= 11) || s >= 32768)
        return 1;
    return 5;
}

static const char *const sap_methods[] = { "RequestStateChange", NULL };
const struct wsclass cls_kvm_sap = {
    "CIM_KVMRedirectionSAP", URI_CIM "CIM_KVMRedirectionSAP", svc_keys, sap_methods,
    true, false, true, NULL, NULL, sap_render, NULL, sap_call,
};
