/* Helpers shared by the PATCH handlers and action parameter checks. */
#ifndef RF_PATCH_H
#define RF_PATCH_H

#include "rf_http.h"

/* Honours If-Match against the ETag of current (consumed). OK, or 412 sent. */
int rf_check_if_match(rf_req *q, json_t *current);

/* Compact JSON text of v for messages (bounded to 128 characters). */
const char *rf_json_text(rf_req *q, json_t *v);

/* Appends PropertyNotWritable (exists) or PropertyUnknown for property name. */
void rf_patch_reject(rf_req *q, json_t *msgs, const char *name, int exists);

#endif
