/* Shared declarations of the mod_amt_relay glue files. */
#ifndef RELAY_GLUE_H
#define RELAY_GLUE_H

#include "httpd.h"
#include "http_config.h"
#include "redfish_amt_api.h"

extern module AP_MODULE_DECLARE_DATA amt_relay_module;

/* mod_redfish_amt's optional functions, bound at start-up (never NULL once running). */
extern APR_OPTIONAL_FN_TYPE(redfish_amt_find_device) *relay_find_device;
extern APR_OPTIONAL_FN_TYPE(redfish_amt_check_token) *relay_check_token;
/* Revocation (relay_revoke.h); NULL with a mod_redfish_amt that predates it. */
extern APR_OPTIONAL_FN_TYPE(redfish_amt_sessions_ended) *relay_sessions_ended;
extern APR_OPTIONAL_FN_TYPE(redfish_amt_stream_session) *relay_stream_session;

#endif
