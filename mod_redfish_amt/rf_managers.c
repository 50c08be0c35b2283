/* Managers: one per device, standing for its AMT firmware, so clients that look
 * for consoles under Managers (as on a BMC) find them. */
#include "rf_handlers.h"

#include <string.h>

#include "apr_strings.h"
#include "http_protocol.h"

#include "rf_state.h"

#define MANAGERS "/redfish/v1/Managers"

int rf_h_managers(rf_req *q)
{
    int first, count, rc;
    if ((rc = rf_paging(q, q->sconf->devices->nelts, &first, &count)) != OK)
        return rc;
    return rf_send_json(q, HTTP_OK,
                        rf_device_collection(q, MANAGERS, "#ManagerCollection.ManagerCollection",
                                             "Managers", first, count),
                        0);
}

int rf_h_manager(rf_req *q)
{
    const amt_device *d = rf_device_param(q, "Manager");
    amt_state st;
    json_t *o;
    int rc;
    if (!d)
        return DONE;
    rc = rf_state_get(q, d, &st, 0);
    if (rc != AMT_OK)
        return rf_amt_error(q, d, rc, NULL);
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:b, s:i, s:[s]}, "
                  "s:{s:[{s:s}]}}",
                  "@odata.id", apr_psprintf(q->r->pool, MANAGERS "/%s", d->system_id),
                  "@odata.type", "#Manager.v1_24_0.Manager", "Id", d->system_id, "Name",
                  apr_psprintf(q->r->pool, "Intel AMT of %s", d->name), "ManagerType",
                  "ManagementController", "Model", "Intel Active Management Technology", "Status",
                  "State", "Enabled", "Health", "OK", "GraphicalConsole", "ServiceEnabled",
                  st.kvm_available && st.kvm_enabled && st.listener_enabled,
                  "MaxConcurrentSessions", 1, "ConnectTypesSupported", "KVMIP", "Links",
                  "ManagerForServers", "@odata.id",
                  apr_psprintf(q->r->pool, "/redfish/v1/Systems/%s", d->system_id));
    if (st.fw_version[0])
        json_object_set_new(o, "FirmwareVersion", json_string(st.fw_version));
    json_object_set_new(o, "SerialConsole",
                        json_pack("{s:b, s:i, s:[s]}", "ServiceEnabled",
                                  st.sol_enabled && st.listener_enabled, "MaxConcurrentSessions", 1,
                                  "ConnectTypesSupported", "Oem"));
    return rf_send_json(q, HTTP_OK, o, 1);
}
