/* mod_redfish_amt configuration: the server-wide device registry and the
 * <AmtDevice> directives. */
#ifndef RF_CONFIG_H
#define RF_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_hash.h"
#include "apr_tables.h"

#include "amt_device.h"
#include "rf_directives.h"

typedef struct rf_server_conf {
    apr_array_header_t *devices;  /* amt_device *, in declaration order */
    apr_hash_t *by_id;            /* system_id -> amt_device * */
    amt_device *current;          /* device whose <AmtDevice> block is being read */
    rf_settings redfish;          /* Redfish* service directives (rf_directives.c) */
} rf_server_conf;

extern module AP_MODULE_DECLARE_DATA redfish_amt_module;

void *rf_create_server_conf(apr_pool_t *p, server_rec *s);
void *rf_merge_server_conf(apr_pool_t *p, void *base, void *add);

/* <AmtDevice> and the directives inside it (rf_device_config.c). The entries are
 * a macro so that the module's single directive table (rf_directives.c) can list
 * them at compile time next to the Redfish* ones. */
enum rf_device_field { F_HOST, F_USER, F_PASSWORD, F_PASSWORD_FILE, F_NAME, F_TLS_CA, F_TLS_PIN,
                       F_WSMAN_PORT, F_REDIR_PORT };
const char *rf_device_section(cmd_parms *cmd, void *dummy, const char *args);
const char *rf_device_set_field(cmd_parms *cmd, void *dummy, const char *arg);
const char *rf_device_set_flag(cmd_parms *cmd, void *dummy, int on);

#define RF_DEVICE_FIELD(name, f, help) \
    AP_INIT_TAKE1(name, rf_device_set_field, (void *)(apr_uintptr_t)(f), RSRC_CONF, help)
#define RF_DEVICE_CMDS \
    AP_INIT_RAW_ARGS("<AmtDevice", rf_device_section, NULL, RSRC_CONF, \
                     "Container for one Intel AMT device; argument: SystemId (platform GUID as UUID)"), \
    RF_DEVICE_FIELD("AmtHost", F_HOST, "Address or DNS name of the AMT device"), \
    RF_DEVICE_FIELD("AmtUser", F_USER, "AMT digest user (e.g. admin)"), \
    RF_DEVICE_FIELD("AmtPassword", F_PASSWORD, "AMT password, inline (prefer AmtPasswordFile)"), \
    RF_DEVICE_FIELD("AmtPasswordFile", F_PASSWORD_FILE, "File holding the AMT password; mode 0600"), \
    RF_DEVICE_FIELD("AmtName", F_NAME, "Display name of the system (default: AmtHost)"), \
    RF_DEVICE_FIELD("AmtTLSCA", F_TLS_CA, "PEM CA bundle that signs the device's TLS certificate"), \
    RF_DEVICE_FIELD("AmtTLSPin", F_TLS_PIN, "sha256/<hex>: pinned SHA-256 of the device's TLS certificate"), \
    RF_DEVICE_FIELD("AmtWSManPort", F_WSMAN_PORT, "WS-Man port (default 16992, or 16993 with AmtTLS on)"), \
    RF_DEVICE_FIELD("AmtRedirectionPort", F_REDIR_PORT, "Redirection port (default 16994, or 16995 with AmtTLS on)"), \
    AP_INIT_FLAG("AmtTLS", rf_device_set_flag, (void *)"tls", RSRC_CONF, \
                 "on (default): talk TLS to the device (ports 16993/16995); off: plain 16992/16994"), \
    AP_INIT_FLAG("AmtTLSLegacy", rf_device_set_flag, (void *)"legacy", RSRC_CONF, \
                 "on: allow TLS 1.0/1.1 and old ciphers for AMT 9-11.8 firmware (logged at startup)"), \
    AP_INIT_FLAG("AmtIdentityCheck", rf_device_set_flag, (void *)"identity", RSRC_CONF, \
                 "on (default): refuse a device whose PlatformGUID is not its SystemId; off: explicit, logged opt-out"), \
    AP_INIT_FLAG("AmtTLSInsecure", rf_device_set_flag, (void *)"insecure", RSRC_CONF, \
                 "on: do not verify the device's certificate (logged at startup)"),

static inline rf_server_conf *rf_sconf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &redfish_amt_module);
}

#endif
