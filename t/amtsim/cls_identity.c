/* Identity classes: platform GUID, general settings,
 * firmware version, chassis model. Read-only. */
#include "wsman.h"

#include <stdio.h>
#include <string.h>

static int pkg_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02X", d->guid[i]);
    prop(b, p, "PlatformGUID", hex);
    return 0;
}

static const char *const no_keys[] = { NULL };
const struct wsclass cls_sys_package = {
    "CIM_ComputerSystemPackage", URI_CIM "CIM_ComputerSystemPackage", no_keys, NULL,
    true, false, true, NULL, NULL, pkg_render, NULL, NULL,
};

static int gs_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    char host[32];
    snprintf(host, sizeof host, "amtsim-%.8s", d->id);
    propu(b, p, "AMTNetworkEnabled", 1);
    propu(b, p, "DDNSPeriodicUpdateInterval", 1440);
    propu(b, p, "DDNSTTL", 900);
    propb(b, p, "DDNSUpdateByDHCPServerEnabled", true);
    propb(b, p, "DDNSUpdateEnabled", false);
    prop(b, p, "DigestRealm", d->realm);
    /* as captured from 15.0 firmware with no host/domain name configured (knob empty-hostname) */
    prop(b, p, "DomainName", d->knobs.empty_hostname ? "" : "sim.test");
    prop(b, p, "ElementName", "Intel(r) AMT: General Settings");
    prop(b, p, "HostName", d->knobs.empty_hostname ? "" : host);
    prop(b, p, "HostOSFQDN", "");
    propu(b, p, "IdleWakeTimeout", 65535);
    prop(b, p, "InstanceID", "Intel(r) AMT: General Settings");
    propb(b, p, "NetworkInterfaceEnabled", true);
    propb(b, p, "PingResponseEnabled", true);
    propu(b, p, "PowerSource", 0);
    propu(b, p, "PreferredAddressFamily", 0);
    propu(b, p, "PresenceNotificationInterval", 0);
    propu(b, p, "PrivacyLevel", 0);
    propb(b, p, "RmcpPingResponseEnabled", true);
    propb(b, p, "SharedFQDN", true);
    propb(b, p, "WsmanOnlyMode", false);
    return 0;
}

static const char *const gs_keys[] = { "InstanceID", NULL };
const struct wsclass cls_general = {
    "AMT_GeneralSettings", URI_AMT "AMT_GeneralSettings", gs_keys, NULL,
    true, false, true, NULL, NULL, gs_render, NULL, NULL,
};

/* CIM_SoftwareIdentity: several instances; "AMT" carries the firmware version. */
static int sw_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    static const char *const ids[] = { "Flash", "Netstack", "AMTApps", "AMT", "Sku", "VendorID",
                                       "Build Number", "Recovery Version", "Legacy Mode", "AMT FW Core Version" };
    if (idx < 0 || idx >= (int)(sizeof ids / sizeof ids[0]))
        return -1;
    const char *ver = d->fw;
    if (!strcmp(ids[idx], "Sku")) ver = "16392";
    else if (!strcmp(ids[idx], "VendorID")) ver = "8086";
    else if (!strcmp(ids[idx], "Build Number")) ver = "2000";
    else if (!strcmp(ids[idx], "Legacy Mode")) ver = "False";
    prop(b, p, "InstanceID", ids[idx]);
    propb(b, p, "IsEntity", true);
    prop(b, p, "VersionString", ver);
    return 0;
}

static const char *const sw_keys[] = { "InstanceID", NULL };
const struct wsclass cls_software = {
    "CIM_SoftwareIdentity", URI_CIM "CIM_SoftwareIdentity", sw_keys, NULL,
    true, false, true, NULL, NULL, sw_render, NULL, NULL,
};

static int chassis_render(struct device *d, int idx, const char *p, struct sbuf *b)
{
    if (idx)
        return -1;
    char serial[16];
    snprintf(serial, sizeof serial, "SIM%.8s", d->id);
    prop(b, p, "ChassisPackageType", "0");
    prop(b, p, "CreationClassName", "CIM_Chassis");
    prop(b, p, "ElementName", "Managed System Chassis");
    prop(b, p, "Manufacturer", "Intel(R) Client Systems");
    prop(b, p, "Model", d->model);
    propu(b, p, "OperationalStatus", 0);
    propu(b, p, "PackageType", 3);
    prop(b, p, "SerialNumber", serial);
    prop(b, p, "Tag", "CIM_Chassis");
    prop(b, p, "Version", "1.0");
    return 0;
}

static const char *const chassis_keys[] = { "CreationClassName", "Tag", NULL };
const struct wsclass cls_chassis = {
    "CIM_Chassis", URI_CIM "CIM_Chassis", chassis_keys, NULL,
    true, false, true, NULL, NULL, chassis_render, NULL, NULL,
};
