/* libFuzzer target: the WS-Man reply reader of mod_redfish_amt (wsman_xml.c), fed with
 * hostile reply bodies as they would come back from a device.
 *
 * Every reply entry point is exercised the way amt_ops.c uses it: header/fault parsing
 * (wsman_reply_parse), Get/Put instance and property extraction, Enumerate/Pull
 * (EnumerationContext, Items/...[1]/PowerState), method ReturnValue, and the text helpers.
 * The class name and property names found in the reply itself are also fed back as
 * cls/prop, and a found instance is echoed into a Put body (spec §3.3), serialised and
 * re-parsed. Checks: every fixed-size field and output buffer is NUL-terminated within
 * its size, a -1 "does not fit" leaves an empty string, returned nodes belong to the
 * reply document, parsed u32 values round-trip, and an echoed Put is well-formed XML. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "wsman_xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_wsman_xml: check failed at line %d: %s\n", __LINE__,      \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

#define AMT(c) WSMAN_URI_AMT(c)
#define CIM(c) WSMAN_URI_CIM(c)
#define IPS(c) WSMAN_URI_IPS(c)

/* (class namespace, class, property) triples read by amt_ops.c and the spec (§4). */
static const struct {
    const char *ns, *cls, *prop;
} props[] = {
    { AMT("AMT_RedirectionService"), "AMT_RedirectionService", "EnabledState" },
    { AMT("AMT_RedirectionService"), "AMT_RedirectionService", "ListenerEnabled" },
    { AMT("AMT_SetupAndConfigurationService"), "AMT_SetupAndConfigurationService",
      "ProvisioningMode" },
    { AMT("AMT_GeneralSettings"), "AMT_GeneralSettings", "HostName" },
    { IPS("IPS_OptInService"), "IPS_OptInService", "OptInRequired" },
    { IPS("IPS_OptInService"), "IPS_OptInService", "OptInState" },
    { IPS("IPS_OptInService"), "IPS_OptInService", "CanModifyOptInPolicy" },
    { IPS("IPS_KVMRedirectionSettingData"), "IPS_KVMRedirectionSettingData", "OptInPolicy" },
    { IPS("IPS_KVMRedirectionSettingData"), "IPS_KVMRedirectionSettingData", "Is5900PortEnabled" },
    { CIM("CIM_KVMRedirectionSAP"), "CIM_KVMRedirectionSAP", "EnabledState" },
    { CIM("CIM_KVMRedirectionSAP"), "CIM_KVMRedirectionSAP", "RequestedState" },
    { CIM("CIM_Chassis"), "CIM_Chassis", "Model" },
    { CIM("CIM_Chassis"), "CIM_Chassis", "Manufacturer" },
    { CIM("CIM_ComputerSystemPackage"), "CIM_ComputerSystemPackage", "PlatformGUID" },
};

/* (class namespace, method) pairs whose <method>_OUTPUT/ReturnValue is read. */
static const struct {
    const char *ns, *method;
} methods[] = {
    { AMT("AMT_RedirectionService"), "RequestStateChange" },
    { CIM("CIM_KVMRedirectionSAP"), "RequestStateChange" },
    { IPS("IPS_OptInService"), "StartOptIn" },
    { IPS("IPS_OptInService"), "SendOptInCode" },
    { IPS("IPS_OptInService"), "CancelOptIn" },
    { CIM("CIM_PowerManagementService"), "RequestPowerStateChange" },
    { AMT("AMT_SetupAndConfigurationService"), "GetUuid" },
};

/* Free-form XPaths (class namespace may be NULL), including the Enumerate/Pull ones. */
static const struct {
    const char *ns, *xpath;
} xpaths[] = {
    { NULL, "/s:Envelope/s:Body/en:EnumerateResponse/en:EnumerationContext" },
    { NULL, "/s:Envelope/s:Body/en:PullResponse/en:EnumerationContext" },
    { NULL, "/s:Envelope/s:Body/en:PullResponse/en:EndOfSequence" },
    { CIM("CIM_AssociatedPowerManagementService"),
      "/s:Envelope/s:Body/en:PullResponse/en:Items/"
      "c:CIM_AssociatedPowerManagementService[1]/c:PowerState" },
    { CIM("CIM_AssociatedPowerManagementService"),
      "/s:Envelope/s:Body/en:PullResponse/en:Items/"
      "c:CIM_AssociatedPowerManagementService[1]/c:AvailableRequestedPowerStates" },
    { NULL, "/s:Envelope/s:Header/wsman:ResourceURI" },
    { NULL, "/s:Envelope/s:Header/wsa:MessageID" },
    { NULL, "/s:Envelope/s:Body/s:Fault/s:Detail" },
    /* a class XPath evaluated after "c" was unregistered must simply not match */
    { NULL, "/s:Envelope/s:Body/c:IPS_OptInService" },
};

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void quiet_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    /* XPath and serialiser errors would otherwise flood the fuzzer's log. */
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(NULL, quiet_structured);
    return 0;
}

static void check_field(const char *f, size_t size)
{
    CHECK(memchr(f, '\0', size) != NULL);
}

static int in_doc(const wsman_reply *r, const xmlNode *n)
{
    return n == NULL || n->doc == r->doc;
}

static void exercise_helpers(const char *txt)
{
    uint32_t v = 0;
    int b = wsman_parse_bool(txt);
    CHECK(b == -1 || b == 0 || b == 1);
    if (wsman_parse_u32(txt, &v) == 0) {
        /* strict decimal: printing it back gives the same digits modulo leading zeros */
        char back[16];
        const char *p = txt;
        while (p[0] == '0' && p[1])
            p++;
        snprintf(back, sizeof back, "%u", (unsigned)v);
        CHECK(strcmp(back, p) == 0);
    }
}

/* wsman_reply_text() with a given output size: 1 (found, fits), 0 (absent, ""), -1 (too
 * big or invalid XPath, ""); the buffer is always terminated inside outlen. */
static void text_at(wsman_reply *r, const char *ns, const char *xpath, size_t outlen)
{
    char out[512];
    memset(out, 'X', sizeof out);
    int rc = wsman_reply_text(r, ns, xpath, out, outlen);
    CHECK(rc == 1 || rc == 0 || rc == -1);
    CHECK(memchr(out, '\0', outlen) != NULL);
    CHECK(out[outlen] == 'X'); /* nothing written past outlen */
    if (rc != 1)
        CHECK(out[0] == '\0');
    else
        exercise_helpers(out);
}

/* Echo the instance into a Put (spec §3.3) and check the result re-parses. */
static void echo_put(const xmlNode *inst, const char *ns)
{
    static const char *const names[] = { "EnabledState", "ListenerEnabled" };
    static const char *const values[] = { "32771", "true" };
    xmlNodePtr body;
    xmlDocPtr doc = wsman_envelope_new(WSMAN_ACTION_PUT, ns, "uuid:fuzz", &body);
    if (!doc)
        return;
    char *xml = NULL;
    size_t len = 0;
    if (wsman_add_put_instance(body, ns, inst, names, values, 2) &&
        wsman_serialize(doc, &xml, &len) == 0) {
        xmlDocPtr back = xmlReadMemory(xml, (int)len, "put.xml", NULL,
                                       XML_PARSE_NONET | XML_PARSE_NOERROR |
                                           XML_PARSE_NOWARNING);
        CHECK(back != NULL);
        xmlFreeDoc(back);
        xmlFree(xml);
    }
    xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wsman_reply r;
    char err[128];
    char out[256];
    uint32_t rv;
    size_t i;

    /* Output-buffer size for the small-buffer probes, taken from the last byte. */
    size_t small = size ? (size_t)(data[size - 1] % 40) + 1 : 1;

    memset(err, 'X', sizeof err);
    if (wsman_reply_parse(&r, (const char *)data, size, err, sizeof err) != 0) {
        CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        CHECK(r.doc == NULL && r.xp == NULL);
        wsman_reply_free(&r); /* must be safe on a failed reply */
        return 0;
    }
    CHECK(r.doc != NULL && r.xp != NULL);

    /* header and fault fields */
    check_field(r.action, sizeof r.action);
    check_field(r.relates_to, sizeof r.relates_to);
    check_field(r.fault_code_ns, sizeof r.fault_code_ns);
    check_field(r.fault_code, sizeof r.fault_code);
    check_field(r.fault_subcode_ns, sizeof r.fault_subcode_ns);
    check_field(r.fault_subcode, sizeof r.fault_subcode);
    check_field(r.fault_reason, sizeof r.fault_reason);
    CHECK(r.is_fault == 0 || r.is_fault == 1);
    if (!r.is_fault)
        CHECK(!r.fault_code[0] && !r.fault_code_ns[0] && !r.fault_subcode[0] &&
              !r.fault_subcode_ns[0] && !r.fault_reason[0]);
    CHECK(wsman_reply_node(&r, NULL, "/s:Envelope/s:Body") != NULL);

    /* Get/Put instances and properties */
    for (i = 0; i < sizeof props / sizeof props[0]; i++) {
        xmlNodePtr inst = wsman_reply_instance(&r, props[i].ns, props[i].cls);
        CHECK(in_doc(&r, inst));
        int rc = wsman_reply_prop(&r, props[i].ns, props[i].cls, props[i].prop, out, sizeof out);
        CHECK(rc == 1 || rc == 0 || rc == -1);
        check_field(out, sizeof out);
        if (rc == 1) {
            CHECK(inst != NULL);
            exercise_helpers(out);
        }
        if (inst && i % 4 == 0)
            echo_put(inst, props[i].ns);
    }

    /* method replies */
    for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        rv = 0xdeadbeef;
        int rc = wsman_reply_return_value(&r, methods[i].ns, methods[i].method, &rv);
        CHECK(rc == 0 || rc == -1);
    }

    /* Enumerate / Pull and other free-form XPaths, at full and at a small buffer size */
    for (i = 0; i < sizeof xpaths / sizeof xpaths[0]; i++) {
        text_at(&r, xpaths[i].ns, xpaths[i].xpath, sizeof out);
        text_at(&r, xpaths[i].ns, xpaths[i].xpath, small);
    }
    CHECK(wsman_reply_node(&r, NULL, "/s:Envelope/s:Body/c:IPS_OptInService") == NULL);
    /* an invalid XPath is -1 or 0, never a crash */
    text_at(&r, NULL, "/s:Envelope/s:Body/[", sizeof out);
    text_at(&r, NULL, "count(/s:Envelope)", sizeof out);

    /* Whatever the reply carries in its Body, read back with its own names: the class
     * name and namespace become cls/class_ns, each child's name a prop / method. */
    xmlNodePtr first = wsman_reply_node(&r, NULL, "/s:Envelope/s:Body/*[1]");
    CHECK(in_doc(&r, first));
    if (first && first->ns && first->ns->href) {
        const char *ns = (const char *)first->ns->href;
        const char *cls = (const char *)first->name;
        xmlNodePtr inst = wsman_reply_instance(&r, ns, cls);
        CHECK(in_doc(&r, inst));
        int n = 0;
        for (const xmlNode *ch = first->children; ch && n < 16; ch = ch->next) {
            if (ch->type != XML_ELEMENT_NODE)
                continue;
            n++;
            int rc = wsman_reply_prop(&r, ns, cls, (const char *)ch->name, out, sizeof out);
            CHECK(rc == 1 || rc == 0 || rc == -1);
            check_field(out, sizeof out);
            char small_out[64];
            memset(small_out, 'X', sizeof small_out);
            rc = wsman_reply_prop(&r, ns, cls, (const char *)ch->name, small_out, small);
            CHECK(memchr(small_out, '\0', small) != NULL && small_out[small] == 'X');
        }
        size_t cl = strlen(cls);
        if (cl > 7 && strcmp(cls + cl - 7, "_OUTPUT") == 0 && cl < 200) {
            char method[200];
            memcpy(method, cls, cl - 7);
            method[cl - 7] = '\0';
            rv = 0xdeadbeef;
            int rc = wsman_reply_return_value(&r, ns, method, &rv);
            CHECK(rc == 0 || rc == -1);
        }
        if (inst && !first->next) /* the common Get/Put case */
            echo_put(inst, ns);
    }

    wsman_reply_free(&r);
    CHECK(r.doc == NULL && r.xp == NULL);
    wsman_reply_free(&r); /* idempotent */
    return 0;
}
