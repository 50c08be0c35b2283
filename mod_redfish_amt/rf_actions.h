/* Action plumbing shared by rf_actions.c and rf_consent.c. */
#ifndef RF_ACTIONS_H
#define RF_ACTIONS_H

#include "rf_handlers.h"

/* Checks that body holds only the named parameters (NULL-terminated list);
 * otherwise sends ActionParameterUnknown and returns its status. */
int rf_action_params_only(rf_req *q, json_t *body, const char *action, const char *const *allowed);

/* Reads the body of an action; an empty body is an empty object. */
int rf_action_body(rf_req *q, json_t **body);

/* Consent actions (rf_consent.c). kind: 0 request, 1 submit, 2 cancel. */
int rf_consent_action(rf_req *q, const amt_device *d, const char *action, int mode, int kind,
                      json_t *body);

#endif
