/* Power classes: CIM_ServiceAvailableToElement (whose
 * Pull items are CIM_AssociatedPowerManagementService), that class itself,
 * CIM_PowerManagementService.RequestPowerStateChange, IPS_PowerManagementService. */
#include "wsman.h"

#include <stdio.h>
#include <string.h>

static const int avail_on[] = { 10, 8, 5, 11, 4, 7, 14, 12 };

static void epr(struct sbuf *b, const char *p, const char *name, const char *cls, const char *const *sel)
{
    sb_printf(b, "<%s:%s><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address>"
                 "<b:ReferenceParameters><c:ResourceURI>" URI_CIM "%s</c:ResourceURI><c:SelectorSet>",
              p, name, cls);
    for (; *sel; sel += 2)
        sb_printf(b, "<c:Selector Name=\"%s\">%s</c:Selector>", sel[0], sel[1]);
    sb_printf(b, "</c:SelectorSet></b:ReferenceParameters></%s:%s>", p, name);
}

static int assoc_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    if (d->power_state == 2)
        for (size_t i = 0; i < sizeof avail_on / sizeof avail_on[0]; i++)
            propu(b, p, "AvailableRequestedPowerStates", (unsigned long)avail_on[i]);
    else
        propu(b, p, "AvailableRequestedPowerStates", 2);
    propu(b, p, "PowerState", (unsigned long)d->power_state);
    static const char *const svc[] = { "CreationClassName", "CIM_PowerManagementService", "Name",
                                       "Intel(r) AMT Power Management Service", "SystemCreationClassName",
                                       "CIM_ComputerSystem", "SystemName", "Intel(r) AMT", NULL };
    static const char *const sys[] = { "CreationClassName", "CIM_ComputerSystem", "Name", "ManagedSystem", NULL };
    epr(b, p, "ServiceProvided", "CIM_PowerManagementService", svc);
    epr(b, p, "UserOfService", "CIM_ComputerSystem", sys);
    return 0;
}

static const char *const no_keys[] = { NULL };
const struct wsclass cls_avail_to_elem = {
    "CIM_ServiceAvailableToElement", URI_CIM "CIM_ServiceAvailableToElement", no_keys, NULL,
    false, false, true, "CIM_AssociatedPowerManagementService", URI_CIM "CIM_AssociatedPowerManagementService",
    assoc_render, NULL, NULL,
};
const struct wsclass cls_assoc_power = {
    "CIM_AssociatedPowerManagementService", URI_CIM "CIM_AssociatedPowerManagementService", no_keys, NULL,
    true, false, true, NULL, NULL, assoc_render, NULL, NULL,
};

static int pms_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    (void)d;
    if (idx)
        return -1;
    prop(b, p, "CreationClassName", "CIM_PowerManagementService");
    prop(b, p, "ElementName", "Intel(r) AMT Power Management Service");
    propu(b, p, "EnabledState", 5);
    prop(b, p, "Name", "Intel(r) AMT Power Management Service");
    propu(b, p, "RequestedState", 12);
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "Intel(r) AMT");
    return 0;
}

/* The host "reboots": clear its screen, print a BIOS-like line. */
static void host_boot(struct device *d)
{
    screen_init(&d->screen);
    static const char msg[] = "amtsim BIOS: booting...\r\n";
    screen_write(&d->screen, msg, sizeof msg - 1);
}

static int pms_call(struct wsctx *x)
{
    struct device *d = x->d;
    char v[32];
    unsigned long ps;
    if (!ws_text(x->input, x->uri, "PowerState", v, sizeof v) || ws_uint(v, 65535, &ps))
        return 5;
    /* DMT and MeshCommander always send the ManagedElement EPR */
    char rc[256];
    xmlNodePtr me = NULL;
    for (xmlNodePtr n = x->input->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "ManagedElement"))
            me = n;
    if (!me)
        return 5;
    (void)rc;
    bool allowed = false;
    if (d->power_state == 2) {
        for (size_t i = 0; i < sizeof avail_on / sizeof avail_on[0]; i++)
            allowed |= avail_on[i] == (int)ps;
    } else {
        allowed = ps == 2;
    }
    if (!allowed)
        return 2; /* not in AvailableRequestedPowerStates (value UNCONFIRMED) */
    /* Reset, power-on and NMI always act; what AMT does with the rest while a
     * redirection session is open differs between field reports (README, knob
     * power-during-redir): refuse (6 "In Use", value UNCONFIRMED), answer 0 and do
     * nothing, or answer 0 and act when the last session ends. */
    if (ps != 2 && ps != 10 && ps != 11 && d->sol_active + d->kvm_active + d->ider_active > 0) {
        switch (d->knobs.power_redir) {
        case POWER_REDIR_REJECT:
            logmsg(d, "power state %lu refused: a redirection session is open", ps);
            return 6;
        case POWER_REDIR_IGNORE:
            logmsg(d, "power state %lu accepted and ignored: a redirection session is open", ps);
            return 0;
        case POWER_REDIR_DEFER:
            logmsg(d, "power state %lu deferred until the redirection sessions end", ps);
            d->power_pending = (int)ps;
            return 0;
        default:
            break;
        }
    }
    power_apply(d, (int)ps);
    return 0;
}

void power_apply(struct device *d, int ps)
{
    d->os_power_saving = false; /* any power change leaves Modern Standby */
    switch (ps) {
    case 2: d->power_state = 2; host_boot(d); break;
    case 5: case 10: case 14: host_boot(d); d->power_state = 2; break; /* cycle / reset: comes back on */
    case 11: return;                                                    /* NMI: no power change */
    case 4: d->power_state = 4; break;
    case 7: d->power_state = 7; break;
    default: d->power_state = 8; break;                                 /* 8, 12: off */
    }
    d->power_changes++;
    d->power_changed_at = now_s();
    d->screen.version++;
}

/* The last redirection session closed: a deferred power change happens now. */
void power_session_ended(struct device *d)
{
    if (!d->power_pending || d->sol_active + d->kvm_active + d->ider_active > 0)
        return;
    int ps = d->power_pending;
    d->power_pending = 0;
    logmsg(d, "last redirection session ended: deferred power state %d now", ps);
    power_apply(d, ps);
}

static const char *const pms_keys[] = { "CreationClassName", "Name", "SystemCreationClassName", "SystemName", NULL };
static const char *const pms_methods[] = { "RequestPowerStateChange", NULL };
const struct wsclass cls_power_mgmt = {
    "CIM_PowerManagementService", URI_CIM "CIM_PowerManagementService", pms_keys, pms_methods,
    true, false, true, NULL, NULL, pms_render, NULL, pms_call,
};

static int ips_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    prop(b, p, "CreationClassName", "IPS_PowerManagementService");
    prop(b, p, "ElementName", "Intel(r) AMT Power Management Service");
    propu(b, p, "EnabledState", 5);
    prop(b, p, "Name", "Intel(r) AMT Power Management Service");
    /* Modern Standby: the OS sleeps in S0, so CIM PowerState stays 2 and only this
       says 3 (OS power saving); 2 = full power; 0 = unknown (host not on) */
    propu(b, p, "OSPowerSavingState", d->power_state != 2 ? 0 : d->os_power_saving ? 3 : 2);
    propu(b, p, "RequestedState", 12);
    prop(b, p, "SystemCreationClassName", "CIM_ComputerSystem");
    prop(b, p, "SystemName", "Intel(r) AMT");
    return 0;
}

static int ips_call(struct wsctx *x)
{
    char v[32];
    unsigned long s;
    if (!ws_text(x->input, x->uri, "OSPowerSavingState", v, sizeof v) || ws_uint(v, 65535, &s) || (s != 2 && s != 3))
        return 5;
    if (x->d->power_state != 2)
        return 2;
    if (x->d->os_power_saving != (s == 3)) {
        x->d->os_power_saving = s == 3; /* 2 wakes the display and the OS */
        x->d->screen.version++;
    }
    return 0;
}

static const char *const ips_methods[] = { "RequestOSPowerSavingStateChange", NULL };
const struct wsclass cls_ips_power = {
    "IPS_PowerManagementService", URI_IPS "IPS_PowerManagementService", pms_keys, ips_methods,
    true, false, true, NULL, NULL, ips_render, NULL, ips_call,
};
