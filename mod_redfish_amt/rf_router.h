/* The "redfish-amt" content handler. */
#ifndef RF_ROUTER_H
#define RF_ROUTER_H

#include "httpd.h"

#define RF_HANDLER_NAME "redfish-amt"

int rf_handler(request_rec *r);

#endif
