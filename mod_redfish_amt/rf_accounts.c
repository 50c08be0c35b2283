/* AccountService and its predefined Roles. Accounts themselves live in the
 * Apache authn backends (htpasswd, dbm, LDAP...), so they are not listed or
 * managed here; roles come from RedfishRole group rules. */
#include "rf_handlers.h"

#include <string.h>

#include "apr_strings.h"
#include "http_protocol.h"

#include "rf_privileges.h"
#include "rf_session.h"

#define ROLES "/redfish/v1/AccountService/Roles"

int rf_h_account_service(rf_req *q)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s}, s:{s:s, s:s}, s:s}", "@odata.id",
                          "/redfish/v1/AccountService", "@odata.type",
                          "#AccountService.v1_18_1.AccountService", "Id", "AccountService", "Name",
                          "Account Service", "ServiceEnabled", 1, "Roles", "@odata.id", ROLES,
                          "Status", "State", "Enabled", "Health", "OK", "Description",
                          "Accounts are managed by the web server's authentication providers");
    return rf_send_json(q, HTTP_OK, o, 1);
}

int rf_h_roles(rf_req *q)
{
    json_t *members = json_array();
    for (int i = 0; i < RF_ROLE_COUNT; i++)
        json_array_append_new(members, json_pack("{s:s}", "@odata.id",
                                                 apr_psprintf(q->r->pool, ROLES "/%s",
                                                              rf_role_name(i))));
    return rf_send_json(q, HTTP_OK,
                        json_pack("{s:s, s:s, s:s, s:i, s:o}", "@odata.id", ROLES, "@odata.type",
                                  "#RoleCollection.RoleCollection", "Name", "Roles",
                                  "Members@odata.count", RF_ROLE_COUNT, "Members", members),
                        1);
}

int rf_h_role(rf_req *q)
{
    int role = rf_role_from_name(q->params[0]);
    unsigned privs;
    json_t *assigned;
    /* Role ids are case-sensitive in URIs even though config names are not. */
    if (role < 0 || strcmp(rf_role_name(role), q->params[0]) != 0)
        return rf_error(q, HTTP_NOT_FOUND, "ResourceNotFound", "Role", q->params[0]);
    privs = rf_role_privileges(role);
    assigned = json_array();
    for (int b = 0; b < RF_PRIV_COUNT; b++)
        if (privs & (1u << b))
            json_array_append_new(assigned, json_string(rf_privilege_name(1u << b)));
    return rf_send_json(q, HTTP_OK,
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:[]}", "@odata.id",
                                  apr_psprintf(q->r->pool, ROLES "/%s", rf_role_name(role)),
                                  "@odata.type", "#Role.v1_3_3.Role", "Id", rf_role_name(role),
                                  "Name", rf_role_name(role), "RoleId", rf_role_name(role),
                                  "IsPredefined", 1, "AssignedPrivileges", assigned,
                                  "OemPrivileges"),
                        1);
}
