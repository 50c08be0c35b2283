/* Cross-site request decisions (see rf_browser_policy.h). */
#include "rf_browser_policy.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

int rf_media_type_is_json(const char *ct)
{
    static const char json[] = "application/json";
    const size_t n = sizeof(json) - 1;
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';'; /* parameters (charset) are allowed */
}

int rf_cross_site_request(const char *origin, const char *sec_fetch_site, const char *own_origin)
{
    if (sec_fetch_site && strcasecmp(sec_fetch_site, "cross-site") == 0)
        return 1;
    if (!origin)
        return 0; /* not a browser, or a same-origin request from an old one */
    return !own_origin || strcasecmp(origin, own_origin) != 0;
}

/* Token match in a comma-separated header: "text/html" as a media range,
 * parameters ignored. */
int rf_browser_navigation(const char *accept)
{
    const char *p = accept;
    while (p && *p) {
        size_t len;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        len = strcspn(p, ",;");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 9 && strncasecmp(p, "text/html", 9) == 0)
            return 1;
        p = strchr(p, ',');
    }
    return 0;
}
