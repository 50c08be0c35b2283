/* Service entry points: /redfish, ServiceRoot, the OData service document,
 * $metadata and our OEM CSDL (IntelComputerSystem_v1.xml). */
#include "rf_handlers.h"

#include <string.h>

#include "apr_strings.h"
#include "http_protocol.h"

#include <openssl/sha.h>

#include "rf_oem_csdl.h"

int rf_h_redfish(rf_req *q)
{
    return rf_send_json(q, HTTP_OK, json_pack("{s:s}", "v1", "/redfish/v1/"), 0);
}

/* Stable across restarts and processes: configured, or derived from the server
 * name and port (a name-based UUID, version 5 layout over SHA-256). */
static const char *service_uuid(rf_req *q)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    const char *seed;
    server_rec *s = q->r->server;
    if (q->cfg->service_uuid)
        return q->cfg->service_uuid;
    seed = apr_psprintf(q->r->pool, "mod_redfish_amt:%s:%u", s->server_hostname ? s->server_hostname : "",
                        (unsigned)s->port);
    SHA256((const unsigned char *)seed, strlen(seed), md);
    md[6] = (unsigned char)((md[6] & 0x0F) | 0x50);
    md[8] = (unsigned char)((md[8] & 0x3F) | 0x80);
    return apr_psprintf(q->r->pool,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
                        md[11], md[12], md[13], md[14], md[15]);
}

int rf_h_service_root(rf_req *q)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:{s:s}}, "
        "s:{s:b, s:b, s:b, s:b, s:b}}",
        "@odata.id", "/redfish/v1", "@odata.type", "#ServiceRoot.v1_20_0.ServiceRoot", "Id",
        "RootService", "Name", "Redfish service for Intel AMT", "RedfishVersion", "1.22.0", "UUID",
        service_uuid(q), "Systems", "@odata.id", "/redfish/v1/Systems", "Managers", "@odata.id",
        "/redfish/v1/Managers", "SessionService", "@odata.id", "/redfish/v1/SessionService",
        "AccountService", "@odata.id", "/redfish/v1/AccountService", "Links", "Sessions",
        "@odata.id", "/redfish/v1/SessionService/Sessions", "ProtocolFeaturesSupported",
        "ExcerptQuery", 0, "FilterQuery", 0, "OnlyMemberQuery", 0, "SelectQuery", 0,
        "MultipleHTTPRequests", 1);
    return rf_send_json(q, HTTP_OK, o, 1);
}

int rf_h_odata(rf_req *q)
{
    static const char *const names[][2] = {
        {"Systems", "/redfish/v1/Systems"},     {"Managers", "/redfish/v1/Managers"},
        {"SessionService", "/redfish/v1/SessionService"},
        {"AccountService", "/redfish/v1/AccountService"},
        {"Sessions", "/redfish/v1/SessionService/Sessions"}};
    json_t *values = json_array();
    json_t *o;
    json_array_append_new(values, json_pack("{s:s, s:s, s:s}", "name", "Service", "kind",
                                            "Singleton", "url", "/redfish/v1/"));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        json_array_append_new(values, json_pack("{s:s, s:s, s:s}", "name", names[i][0], "kind",
                                                "Singleton", "url", names[i][1]));
    o = json_pack("{s:s, s:o}", "@odata.context", "/redfish/v1/$metadata", "value", values);
    return rf_send_json(q, HTTP_OK, o, 0);
}

static int send_xml(rf_req *q, const char *xml)
{
    request_rec *r = q->r;
    apr_table_setn(r->headers_out, "OData-Version", "4.0");
    apr_table_setn(r->headers_out, "Cache-Control", "max-age=3600");
    ap_set_content_type(r, "application/xml");
    ap_set_content_length(r, (apr_off_t)strlen(xml));
    if (!r->header_only)
        ap_rputs(xml, r);
    return OK;
}

/* Every DMTF namespace our payloads use, from the published CSDL files. */
static const char *const dmtf_refs[][2] = {
    {"ServiceRoot_v1.xml", "ServiceRoot.v1_20_0"},
    {"ComputerSystemCollection_v1.xml", "ComputerSystemCollection"},
    {"ComputerSystem_v1.xml", "ComputerSystem.v1_27_0"},
    {"ManagerCollection_v1.xml", "ManagerCollection"},
    {"Manager_v1.xml", "Manager.v1_24_0"},
    {"SessionService_v1.xml", "SessionService.v1_2_0"},
    {"SessionCollection_v1.xml", "SessionCollection"},
    {"Session_v1.xml", "Session.v1_8_0"},
    {"AccountService_v1.xml", "AccountService.v1_18_1"},
    {"RoleCollection_v1.xml", "RoleCollection"},
    {"Role_v1.xml", "Role.v1_3_3"},
    {"Message_v1.xml", "Message.v1_3_0"},
    {"Resource_v1.xml", "Resource.v1_23_0"},
};

int rf_h_metadata(rf_req *q)
{
    apr_pool_t *p = q->r->pool;
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" "
                      "Version=\"4.0\">\n";
    for (size_t i = 0; i < sizeof(dmtf_refs) / sizeof(dmtf_refs[0]); i++) {
        const char *file = dmtf_refs[i][0], *ns = dmtf_refs[i][1];
        const char *base = apr_pstrmemdup(p, ns, strcspn(ns, "."));
        xml = apr_pstrcat(p, xml, "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/",
                          file, "\">\n    <edmx:Include Namespace=\"", base, "\"/>\n",
                          strchr(ns, '.') ? apr_pstrcat(p, "    <edmx:Include Namespace=\"", ns,
                                                        "\"/>\n", NULL)
                                          : "",
                          "  </edmx:Reference>\n", NULL);
    }
    xml = apr_pstrcat(p, xml,
                      "  <edmx:Reference Uri=\"/redfish/v1/schemas/IntelComputerSystem_v1.xml\">\n"
                      "    <edmx:Include Namespace=\"IntelComputerSystem\"/>\n"
                      "    <edmx:Include Namespace=\"IntelComputerSystem.v1_0_0\"/>\n"
                      "  </edmx:Reference>\n"
                      "  <edmx:DataServices>\n"
                      "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" "
                      "Namespace=\"Service\">\n"
                      "      <EntityContainer Name=\"Service\" "
                      "Extends=\"ServiceRoot.v1_20_0.ServiceContainer\"/>\n"
                      "    </Schema>\n  </edmx:DataServices>\n</edmx:Edmx>\n", NULL);
    return send_xml(q, xml);
}

int rf_h_oem_csdl(rf_req *q)
{
    return send_xml(q, rf_oem_csdl);
}
