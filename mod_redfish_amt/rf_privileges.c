/* Role → privilege table. The assigned privileges are the ones the DMTF
 * privilege registry gives the predefined roles (Redfish_1.8.0 "Roles" of
 * Role.v1 / DSP0266 §"Privilege model"): Administrator has all five, Operator
 * Login + ConfigureComponents + ConfigureSelf, ReadOnly Login + ConfigureSelf. */
#include "rf_privileges.h"

#include <string.h>
#include <strings.h>

static const char *const role_names[RF_ROLE_COUNT] = {"Administrator", "Operator", "ReadOnly"};

static const unsigned role_privs[RF_ROLE_COUNT] = {
    RF_PRIV_LOGIN | RF_PRIV_CONFIGURE_MANAGER | RF_PRIV_CONFIGURE_USERS | RF_PRIV_CONFIGURE_SELF |
        RF_PRIV_CONFIGURE_COMPONENTS,
    RF_PRIV_LOGIN | RF_PRIV_CONFIGURE_SELF | RF_PRIV_CONFIGURE_COMPONENTS,
    RF_PRIV_LOGIN | RF_PRIV_CONFIGURE_SELF};

static const char *const priv_names[RF_PRIV_COUNT] = {
    "Login", "ConfigureManager", "ConfigureUsers", "ConfigureSelf", "ConfigureComponents"};

int rf_role_from_name(const char *name)
{
    for (int i = 0; name && i < RF_ROLE_COUNT; i++)
        if (strcasecmp(name, role_names[i]) == 0)
            return i;
    return RF_ROLE_NONE;
}

const char *rf_role_name(int role)
{
    return (role >= 0 && role < RF_ROLE_COUNT) ? role_names[role] : "NoAccess";
}

unsigned rf_role_privileges(int role)
{
    return (role >= 0 && role < RF_ROLE_COUNT) ? role_privs[role] : 0;
}

const char *rf_privilege_name(unsigned one_bit)
{
    for (int i = 0; i < RF_PRIV_COUNT; i++)
        if (one_bit == (1u << i))
            return priv_names[i];
    return NULL;
}
