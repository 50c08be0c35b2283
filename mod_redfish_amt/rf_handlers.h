/* Resource handlers, one file per area; the router (rf_router.c) calls them after
 * authentication and the privilege check. q->params holds the {captures}. */
#ifndef RF_HANDLERS_H
#define RF_HANDLERS_H

#include "rf_http.h"
#include "amt_ops.h"

/* rf_service.c */
int rf_h_redfish(rf_req *q);
int rf_h_service_root(rf_req *q);
int rf_h_odata(rf_req *q);
int rf_h_metadata(rf_req *q);
int rf_h_oem_csdl(rf_req *q);
/* rf_sessions_api.c */
int rf_h_session_service(rf_req *q);
int rf_h_sessions(rf_req *q);
int rf_h_session(rf_req *q);
/* rf_accounts.c */
int rf_h_account_service(rf_req *q);
int rf_h_roles(rf_req *q);
int rf_h_role(rf_req *q);
/* rf_systems.c */
int rf_h_systems(rf_req *q);
int rf_h_system(rf_req *q);
/* rf_managers.c */
int rf_h_managers(rf_req *q);
int rf_h_manager(rf_req *q);
/* rf_actions.c */
int rf_h_reset(rf_req *q);
int rf_h_oem_action(rf_req *q);

/* Shared by systems/managers/actions: the device named by q->params[0], or NULL
 * after sending 404. */
const amt_device *rf_device_param(rf_req *q, const char *type);

/* Collection paging ($top/$skip): fills first/count for total members, or sends
 * a 400 and returns the status. */
int rf_paging(rf_req *q, int total, int *first, int *count);

/* One page of a collection of all configured devices under base. */
json_t *rf_device_collection(rf_req *q, const char *base, const char *type, const char *name,
                             int first, int count);

/* The ComputerSystem representation of d in state st (rf_systems.c). */
json_t *rf_system_json(rf_req *q, const amt_device *d, const amt_state *st);
/* ws(s)://.../relay/webrelay.ashx?host=<id>&mode=<mode> */
const char *rf_console_uri(rf_req *q, const amt_device *d, const char *mode);

/* Live relay streams of d (0 each without mod_amt_relay). */
void rf_relay_live_streams(const amt_device *d, int *kvm, int *sol);

/* post_config / optional_fn_retrieve: binds mod_amt_relay's optional
 * amt_relay_active_streams (NULL when the relay is not loaded). */
void rf_systems_bind_relay(void);

/* child_init: the per-process cache of rendered systems. */
void rf_systems_child_init(apr_pool_t *p, int ndevices);

/* RedfishConsoleHeaders (rf_console_headers.c): registers its hooks. */
void rf_console_headers_register(apr_pool_t *p);

/* Success envelope for actions and DELETE: 200 with @Message.ExtendedInfo. */
int rf_success(rf_req *q);

#endif
