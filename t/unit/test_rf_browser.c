/* Unit tests for rf_browser_policy.c: which requests a browser could forge. */
#include "rf_browser_policy.h"
#include "tap.h"

int main(void)
{
    ok(rf_media_type_is_json("application/json"), "application/json");
    ok(rf_media_type_is_json("Application/JSON; charset=utf-8"), "any case, with charset");
    ok(rf_media_type_is_json(" application/json ;charset=UTF-8"), "spaces around");
    ok(!rf_media_type_is_json(NULL), "absent is refused");
    ok(!rf_media_type_is_json(""), "empty is refused");
    ok(!rf_media_type_is_json("application/jsonp"), "application/jsonp is not JSON");
    ok(!rf_media_type_is_json("text/plain"), "text/plain (no-preflight type) refused");
    ok(!rf_media_type_is_json("application/x-www-form-urlencoded"), "form refused");
    ok(!rf_media_type_is_json("multipart/form-data; boundary=x"), "multipart refused");

    ok(!rf_cross_site_request(NULL, NULL, "https://bmc:8443"), "no Origin, no fetch metadata: pass");
    ok(!rf_cross_site_request("https://BMC:8443", NULL, "https://bmc:8443"), "same origin, any case");
    ok(rf_cross_site_request("https://evil.example", NULL, "https://bmc:8443"), "other origin");
    ok(rf_cross_site_request("https://bmc:8443.evil", NULL, "https://bmc:8443"), "prefix is not a match");
    ok(rf_cross_site_request("http://bmc:8443", NULL, "https://bmc:8443"), "other scheme");
    ok(rf_cross_site_request("null", NULL, "https://bmc:8443"), "opaque origin null");
    ok(rf_cross_site_request(NULL, "cross-site", "https://bmc:8443"), "Sec-Fetch-Site cross-site");
    ok(!rf_cross_site_request(NULL, "same-origin", "https://bmc:8443"), "Sec-Fetch-Site same-origin");
    ok(rf_cross_site_request("https://bmc:8443", NULL, NULL), "no own origin: fail closed");

    ok(rf_browser_navigation("text/html,application/xhtml+xml,*/*;q=0.8"), "browser page load");
    ok(rf_browser_navigation("application/json, text/html;q=0.1"), "text/html anywhere in the list");
    ok(!rf_browser_navigation("application/json"), "API client");
    ok(!rf_browser_navigation("*/*"), "curl");
    ok(!rf_browser_navigation(NULL), "no Accept");
    ok(!rf_browser_navigation("text/htmlx"), "only the exact media range");
    return tap_done();
}
