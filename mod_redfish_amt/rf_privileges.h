/* Roles and privileges, as in the DMTF privilege registry (Redfish_1.8.0_PrivilegeRegistry):
 * the three predefined roles and the privileges the operations we serve need. httpd-free. */
#ifndef RF_PRIVILEGES_H
#define RF_PRIVILEGES_H

typedef enum { RF_ROLE_NONE = -1, RF_ROLE_ADMINISTRATOR = 0, RF_ROLE_OPERATOR = 1,
               RF_ROLE_READONLY = 2, RF_ROLE_COUNT = 3 } rf_role;

typedef enum {
    RF_PRIV_LOGIN = 1u << 0,
    RF_PRIV_CONFIGURE_MANAGER = 1u << 1,
    RF_PRIV_CONFIGURE_USERS = 1u << 2,
    RF_PRIV_CONFIGURE_SELF = 1u << 3,
    RF_PRIV_CONFIGURE_COMPONENTS = 1u << 4
} rf_privilege;

#define RF_PRIV_COUNT 5

int rf_role_from_name(const char *name);          /* -1 when unknown */
const char *rf_role_name(int role);               /* "Administrator", ... */
unsigned rf_role_privileges(int role);            /* bit set of rf_privilege */
const char *rf_privilege_name(unsigned one_bit);  /* "Login", ... */

#endif
