/* Unit tests for the httpd-free Redfish cores: AMT -> Redfish mappings, Base
 * messages, role privileges. */
#include <string.h>

#include "rf_amt_map.h"
#include "rf_messages.h"
#include "rf_privileges.h"
#include "tap.h"

int main(void)
{
    amt_state st;
    char buf[256];

    /* consent requirement follows OptInRequired, whatever the control mode */
    memset(&st, 0, sizeof(st));
    st.control_mode = AMT_MODE_ACM;
    ok(!rf_consent_required(&st, RF_MODE_KVM), "ACM, OptInRequired 0: KVM needs no consent");
    is_str(rf_consent_status(&st, RF_MODE_KVM), "NotRequired", "status NotRequired");
    st.optin_required = 1;
    ok(rf_consent_required(&st, RF_MODE_KVM), "OptInRequired 1: KVM needs consent");
    ok(!rf_consent_required(&st, RF_MODE_SOL), "OptInRequired 1: SOL does not");
    st.optin_required = 0xFFFFFFFFu;
    st.control_mode = AMT_MODE_CCM;
    ok(rf_consent_required(&st, RF_MODE_SOL), "OptInRequired ALL: SOL needs consent");
    is_str(rf_consent_status(&st, RF_MODE_KVM), "Required", "state 0 -> Required");
    st.optin_state = AMT_OPTIN_DISPLAYED;
    is_str(rf_consent_status(&st, RF_MODE_KVM), "Requested", "state 2 -> Requested");
    ok(!rf_consent_granted(&st), "displayed is not granted");
    st.optin_state = AMT_OPTIN_RECEIVED;
    is_str(rf_consent_status(&st, RF_MODE_SOL), "Granted", "state 3 -> Granted");
    ok(rf_consent_granted(&st), "received is granted");

    /* KVM/SOL status */
    memset(&st, 0, sizeof(st));
    st.kvm_available = 1;
    is_str(rf_redir_status(&st, RF_MODE_KVM), "Disabled", "KVM disabled");
    st.kvm_enabled = st.listener_enabled = 1;
    is_str(rf_redir_status(&st, RF_MODE_KVM), "Enabled", "KVM enabled, no consent needed");
    st.optin_required = 1;
    is_str(rf_redir_status(&st, RF_MODE_KVM), "PendingConsent", "KVM pending consent");
    st.optin_state = AMT_OPTIN_IN_SESSION;
    st.kvm_active = 1;
    is_str(rf_redir_status(&st, RF_MODE_KVM), "Active", "KVM active");
    st.kvm_available = 0;
    is_str(rf_redir_status(&st, RF_MODE_KVM), "Error", "no KVM SAP -> Error");
    is_str(rf_redir_status(&st, RF_MODE_SOL), "Disabled", "SOL disabled");
    st.sol_enabled = 1;
    is_str(rf_redir_status(&st, RF_MODE_SOL), "Enabled", "SOL enabled (OptInRequired=KVM)");
    /* a live relay stream counts as Active, on top of AMT's own state */
    is_str(rf_redir_status_live(&st, RF_MODE_SOL, 1), "Active", "SOL stream live -> Active");
    is_str(rf_redir_status_live(&st, RF_MODE_SOL, 0), "Enabled", "no SOL stream -> Enabled");
    is_str(rf_redir_status_live(&st, RF_MODE_KVM, 1), "Error", "no KVM SAP: Error even if live");
    st.kvm_available = 1;
    st.kvm_active = 0;
    st.optin_state = AMT_OPTIN_NOT_STARTED;
    is_str(rf_redir_status_live(&st, RF_MODE_KVM, 0), "PendingConsent", "KVM idle: PendingConsent");
    is_str(rf_redir_status_live(&st, RF_MODE_KVM, 1), "Active", "KVM stream live -> Active");

    /* power */
    is_str(rf_power_state(2), "On", "CIM 2 -> On");
    is_str(rf_power_state(8), "Off", "CIM 8 -> Off");
    is_str(rf_power_state(4), "Paused", "CIM 4 (sleep) -> Paused");
    ok(rf_power_state(0) == NULL, "unknown power state omitted");
    is_int(rf_reset_to_cim("On"), 2, "On -> 2");
    is_int(rf_reset_to_cim("ForceOff"), 8, "ForceOff -> 8");
    is_int(rf_reset_to_cim("GracefulShutdown"), 12, "GracefulShutdown -> 12");
    is_int(rf_reset_to_cim("ForceRestart"), 10, "ForceRestart -> 10");
    is_int(rf_reset_to_cim("GracefulRestart"), 14, "GracefulRestart -> 14");
    is_int(rf_reset_to_cim("PowerCycle"), 5, "PowerCycle -> 5");
    is_int(rf_reset_to_cim("Nmi"), 11, "Nmi -> 11");
    is_int(rf_reset_to_cim("PushPowerButton"), -1, "unsupported ResetType refused");
    is_int(rf_reset_to_cim(NULL), -1, "NULL ResetType refused");
    for (int i = 0; rf_reset_types[i]; i++)
        if (rf_reset_to_cim(rf_reset_types[i]) < 0)
            ok(0, "advertised %s is mapped", rf_reset_types[i]);
    /* which resets wait for the console to close (AMT may defer or drop them) */
    ok(!rf_power_needs_idle(rf_reset_to_cim("On")), "On acts during a console session");
    ok(!rf_power_needs_idle(rf_reset_to_cim("ForceRestart")), "ForceRestart acts during a session");
    ok(!rf_power_needs_idle(rf_reset_to_cim("Nmi")), "Nmi acts during a session");
    static const char *const idle_only[] = {"ForceOff", "GracefulShutdown", "PowerCycle",
                                            "GracefulRestart", NULL};
    for (int i = 0; idle_only[i]; i++)
        ok(rf_power_needs_idle(rf_reset_to_cim(idle_only[i])), "%s waits for no console session",
           idle_only[i]);

    /* consent code format */
    ok(rf_consent_code_valid("012345"), "6 digits valid");
    ok(!rf_consent_code_valid("12345"), "5 digits invalid");
    ok(!rf_consent_code_valid("1234567"), "7 digits invalid");
    ok(!rf_consent_code_valid("12a456"), "letter invalid");
    ok(!rf_consent_code_valid(" 12345"), "space invalid");
    ok(!rf_consent_code_valid(NULL), "NULL invalid");

    /* messages */
    {
        const rf_message_def *m = rf_message_find("PropertyUnknown");
        const char *args[] = {"Foo"};
        ok(m && m->nargs == 1, "PropertyUnknown has 1 arg");
        ok(rf_message_format(m, args, 1, buf, sizeof(buf)) == 0 &&
               strstr(buf, "The property Foo is not") == buf, "placeholder substituted: %s", buf);
        ok(rf_message_format(m, args, 0, buf, sizeof(buf)) == -1, "wrong arg count refused");
        ok(rf_message_find("NoSuchMessage") == NULL, "unknown message id");
        ok(rf_message_find("SessionLimitExceeded") != NULL, "SessionLimitExceeded present");
        m = rf_message_find("ResourceNotFound");
        {
            const char *a2[] = {"ComputerSystem", "x"};
            rf_message_format(m, a2, 2, buf, 20);
            is_int(strlen(buf), 19, "formatting truncates safely");
        }
    }

    /* roles */
    is_int(rf_role_from_name("operator"), RF_ROLE_OPERATOR, "role names are case-insensitive");
    is_int(rf_role_from_name("root"), RF_ROLE_NONE, "unknown role");
    ok(rf_role_privileges(RF_ROLE_ADMINISTRATOR) & RF_PRIV_CONFIGURE_MANAGER, "admin ConfigureManager");
    ok(rf_role_privileges(RF_ROLE_OPERATOR) & RF_PRIV_CONFIGURE_COMPONENTS, "operator ConfigureComponents");
    ok(!(rf_role_privileges(RF_ROLE_OPERATOR) & RF_PRIV_CONFIGURE_MANAGER), "operator lacks ConfigureManager");
    ok(!(rf_role_privileges(RF_ROLE_READONLY) & RF_PRIV_CONFIGURE_COMPONENTS), "readonly lacks ConfigureComponents");
    ok(rf_role_privileges(RF_ROLE_READONLY) & RF_PRIV_LOGIN, "readonly Login");
    is_int(rf_role_privileges(RF_ROLE_NONE), 0, "no role, no privileges");
    is_str(rf_privilege_name(RF_PRIV_CONFIGURE_SELF), "ConfigureSelf", "privilege name");
    return tap_done();
}
