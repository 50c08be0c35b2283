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

/* Directive table entries for <AmtDevice> and its contents. */
extern const command_rec rf_device_cmds[];

static inline rf_server_conf *rf_sconf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &redfish_amt_module);
}

#endif
