/* What a browser may do to the Redfish service from another site: the pure
 * decisions (no httpd), so they are unit-tested; the glue that applies them is
 * in rf_router.c and rf_auth.c. Background: docs/security-browsers.md. */
#ifndef RF_BROWSER_POLICY_H
#define RF_BROWSER_POLICY_H

/* 1 when a Content-Type header value names application/json, with or without
 * parameters ("application/json; charset=utf-8"); 0 for anything else,
 * including NULL, "application/jsonx" and "text/plain". A browser can send a
 * cross-site POST without asking the server first (no CORS preflight) only with
 * text/plain, form or multipart bodies, so requiring JSON makes every such
 * request fail before it does anything. */
int rf_media_type_is_json(const char *content_type);

/* 1 when an unsafe request that carries ambient credentials (HTTP Basic, which
 * a browser adds by itself) must be refused as cross-site:
 *   - Sec-Fetch-Site says "cross-site", or
 *   - Origin is present and is not own_origin ("scheme://host[:port]",
 *     compared without regard to case; "null" never matches).
 * Requests with neither header (curl, redfishtool, scripts) pass. */
int rf_cross_site_request(const char *origin, const char *sec_fetch_site, const char *own_origin);

/* 1 when the request looks like a browser navigating to a page (Accept lists
 * text/html) rather than a script or an API client; such a request gets no
 * Basic challenge, so the browser never prompts for and caches the password. */
int rf_browser_navigation(const char *accept);

#endif
