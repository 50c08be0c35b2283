/* WS-Man envelope builder and reply parser against AMT-shaped envelopes:
 * namespaces, header sequence, bodies, faults, prefix independence. */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "amt_ops.h"
#include "tap.h"
#include "wsman_xml.h"

#define NS_REPLY                                                                            \
    "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" "                                  \
    "xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "                         \
    "xmlns:c=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "                           \
    "xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "                              \
    "xmlns:e=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" " \
    "xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "                      \
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "

#define REDIR_URI "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_RedirectionService"
#define OPTIN_URI "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService"
#define SATE_URI "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ServiceAvailableToElement"
#define APMS_URI "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AssociatedPowerManagementService"

/* §4.2 Get response, indented as in the fixtures. */
static const char redir_get[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<a:Envelope " NS_REPLY "xmlns:g=\"" REDIR_URI "\" "
    "xmlns:h=\"http://schemas.dmtf.org/wbem/wscim/1/common\">\n"
    " <a:Header>\n"
    "  <b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To>\n"
    "  <b:RelatesTo>0</b:RelatesTo>\n"
    "  <b:Action a:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</b:Action>\n"
    "  <b:MessageID>uuid:00000000-8086-8086-8086-000000000001</b:MessageID>\n"
    "  <c:ResourceURI>" REDIR_URI "</c:ResourceURI>\n"
    " </a:Header>\n"
    " <a:Body>\n"
    "  <g:AMT_RedirectionService>\n"
    "   <g:CreationClassName>AMT_RedirectionService</g:CreationClassName>\n"
    "   <g:ElementName>Intel(r) AMT Redirection Service</g:ElementName>\n"
    "   <g:EnabledState>32771</g:EnabledState>\n"
    "   <g:ListenerEnabled>true</g:ListenerEnabled>\n"
    "   <g:Name>Intel(r) AMT Redirection Service</g:Name>\n"
    "   <g:SystemCreationClassName>CIM_ComputerSystem</g:SystemCreationClassName>\n"
    "   <g:SystemName>Intel(r) AMT</g:SystemName>\n"
    "  </g:AMT_RedirectionService>\n"
    " </a:Body>\n"
    "</a:Envelope>\n";

/* The same instance with other prefixes (and compact, as on the wire): only namespace
 * URIs may matter. */
static const char redir_get_other_prefixes[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><S:Envelope "
    "xmlns:S=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
    "<S:Header><wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</wsa:Action>"
    "</S:Header><S:Body><r:AMT_RedirectionService xmlns:r=\"" REDIR_URI "\">"
    "<r:EnabledState>32768</r:EnabledState><r:ListenerEnabled>FALSE</r:ListenerEnabled>"
    "</r:AMT_RedirectionService></S:Body></S:Envelope>";

/* Right local names, wrong class namespace: must not be read as the class. */
static const char redir_wrong_ns[] =
    "<a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\"><a:Header/><a:Body>"
    "<g:AMT_RedirectionService xmlns:g=\"http://example.com/not-amt\">"
    "<g:EnabledState>32771</g:EnabledState></g:AMT_RedirectionService></a:Body></a:Envelope>";

/* §4.4 Get response. */
static const char optin_get[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope " NS_REPLY "xmlns:g=\"" OPTIN_URI "\">"
    "<a:Header><b:RelatesTo>5</b:RelatesTo>"
    "<b:Action a:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</b:Action>"
    "</a:Header><a:Body><g:IPS_OptInService>"
    "<g:CanModifyOptInPolicy>1</g:CanModifyOptInPolicy>"
    "<g:CreationClassName>IPS_OptInService</g:CreationClassName>"
    "<g:OptInCodeTimeout>120</g:OptInCodeTimeout><g:OptInDisplayTimeout>300</g:OptInDisplayTimeout>"
    "<g:OptInRequired>4294967295</g:OptInRequired><g:OptInState>2</g:OptInState>"
    "</g:IPS_OptInService></a:Body></a:Envelope>";

/* §4.4 method response. */
static const char send_code_resp[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope " NS_REPLY "xmlns:g=\"" OPTIN_URI "\">"
    "<a:Header><b:Action a:mustUnderstand=\"true\">" OPTIN_URI "/SendOptInCodeResponse</b:Action>"
    "</a:Header><a:Body><g:SendOptInCode_OUTPUT><g:ReturnValue>2066</g:ReturnValue>"
    "</g:SendOptInCode_OUTPUT></a:Body></a:Envelope>";

/* §4.6 Pull response: items in their own namespace, h = class ns, g = enumeration. */
static const char power_pull[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope " NS_REPLY
    "xmlns:g=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" xmlns:h=\"" APMS_URI "\">"
    "<a:Header><b:Action a:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse</b:Action>"
    "<c:ResourceURI>" SATE_URI "</c:ResourceURI></a:Header>"
    "<a:Body><g:PullResponse><g:Items><h:CIM_AssociatedPowerManagementService>"
    "<h:AvailableRequestedPowerStates>10</h:AvailableRequestedPowerStates>"
    "<h:AvailableRequestedPowerStates>8</h:AvailableRequestedPowerStates>"
    "<h:PowerState>8</h:PowerState>"
    "<h:ServiceProvided><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address>"
    "<b:ReferenceParameters><c:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService</c:ResourceURI>"
    "<c:SelectorSet><c:Selector Name=\"CreationClassName\">CIM_PowerManagementService</c:Selector></c:SelectorSet>"
    "</b:ReferenceParameters></h:ServiceProvided>"
    "</h:CIM_AssociatedPowerManagementService></g:Items><g:EndOfSequence></g:EndOfSequence>"
    "</g:PullResponse></a:Body></a:Envelope>";

/* §2.5 Example 1: DestinationUnreachable fault (fault prefix map). */
static const char fault_dest[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:Envelope "
    "xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:c=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\" "
    "xmlns:d=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\" "
    "xmlns:e=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\" "
    "xmlns:f=\"http://schemas.dmtf.org/wbem/wsman/1/wsman/eventing\" "
    "xmlns:g=\"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd\" "
    "xmlns:h=\"http://schemas.xmlsoap.org/ws/2005/02/trust\" "
    "xmlns:i=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">"
    "<a:Header>"
    "<b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>0</b:RelatesTo>"
    "<b:Action a:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</b:Action>"
    "<b:MessageID>uuid:00000000-8086-8086-8086-000000000061</b:MessageID></a:Header>"
    "<a:Body><a:Fault>"
    "<a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable</a:Value></a:Subcode></a:Code>"
    "<a:Reason><a:Text xml:lang=\"en-US\">No route can be determined to reach the destination role defined by the WSAddressing To.</a:Text></a:Reason>"
    "<a:Detail></a:Detail></a:Fault></a:Body></a:Envelope>";

/* §2.5 Example 2: wsman fault, subcode prefix e = wsman.xsd. */
static const char fault_exists[] =
    "<a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\" "
    "xmlns:b=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
    "xmlns:e=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><a:Header>"
    "<b:Action a:mustUnderstand=\"true\">http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</b:Action>"
    "</a:Header><a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode>"
    "<a:Value>e:AlreadyExists</a:Value></a:Subcode></a:Code><a:Reason><a:Text xml:lang=\"en-US\">"
    "The sender attempted to create a resource which already exists.</a:Text></a:Reason>"
    "</a:Fault></a:Body></a:Envelope>";

/* Same fault, subcode prefix x bound to the same URI on the Subcode element itself. */
static const char fault_local_prefix[] =
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault><s:Code>"
    "<s:Value>s:Receiver</s:Value><s:Subcode xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
    "<s:Value>x:DestinationUnreachable</s:Value></s:Subcode></s:Code></s:Fault></s:Body></s:Envelope>";

static const char with_dtd[] =
    "<?xml version=\"1.0\"?><!DOCTYPE a:Envelope [<!ENTITY x \"boom\">]>"
    "<a:Envelope xmlns:a=\"http://www.w3.org/2003/05/soap-envelope\"><a:Body>&x;</a:Body></a:Envelope>";

static void test_build_get(void)
{
    xmlNodePtr body = NULL;
    xmlDocPtr doc = wsman_envelope_new(WSMAN_ACTION_GET, REDIR_URI, "uuid:test-1", &body);
    ok(doc && body, "Get envelope built");
    char *xml;
    size_t len;
    is_int(wsman_serialize(doc, &xml, &len), 0, "serialised");
    xmlFreeDoc(doc);
    ok(strncmp(xml, "<?xml version=\"1.0\" encoding=\"utf-8\"?>", 38) == 0, "XML declaration utf-8");

    /* Read it back by namespace URI with the reply parser. */
    wsman_reply r;
    char err[128], t[256];
    is_int(wsman_reply_parse(&r, xml, len, err, sizeof err), 0, "own request parses as SOAP 1.2");
    is_str(r.action, WSMAN_ACTION_GET, "Action in the addressing namespace");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsa:To", t, sizeof t);
    is_str(t, "/wsman", "To is /wsman");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsman:ResourceURI", t, sizeof t);
    is_str(t, REDIR_URI, "ResourceURI in the wsman namespace");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsa:MessageID", t, sizeof t);
    is_str(t, "uuid:test-1", "MessageID");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsa:ReplyTo/wsa:Address", t, sizeof t);
    is_str(t, WSMAN_ANONYMOUS, "ReplyTo anonymous");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsman:OperationTimeout", t, sizeof t);
    is_str(t, "PT60S", "OperationTimeout");
    ok(!wsman_reply_node(&r, NULL, "//wsman:SelectorSet"), "no SelectorSet for singletons");
    ok(!wsman_reply_node(&r, NULL, "/s:Envelope/s:Body/*"), "Get body is empty");
    /* Header order as DMT sends it (spec §2.2). */
    const char *order[] = {"Action", "To", "ResourceURI", "MessageID", "ReplyTo", "OperationTimeout"};
    xmlNodePtr h = wsman_reply_node(&r, NULL, "/s:Envelope/s:Header")->children;
    int in_order = 1;
    for (size_t i = 0; i < 6; i++, h = h ? h->next : NULL)
        if (!h || strcmp((const char *)h->name, order[i]) != 0)
            in_order = 0;
    ok(in_order && !h, "header children in DMT order");
    wsman_reply_free(&r);
    xmlFree(xml);
}

static void test_build_method_and_escape(void)
{
    xmlNodePtr body;
    xmlDocPtr doc = wsman_envelope_new(OPTIN_URI "/SendOptInCode", OPTIN_URI, "m<&>2", &body);
    xmlNodePtr in = wsman_add_ns_element(body, OPTIN_URI, "SendOptInCode_INPUT");
    wsman_add_child(in, "OptInCode", "123456");
    char *xml;
    size_t len;
    wsman_serialize(doc, &xml, &len);
    xmlFreeDoc(doc);
    ok(strstr(xml, "m&lt;&amp;&gt;2") != NULL, "text is escaped");
    wsman_reply r;
    char err[64], t[64];
    is_int(wsman_reply_parse(&r, xml, len, err, sizeof err), 0, "method request parses");
    is_int(wsman_reply_text(&r, OPTIN_URI, "/s:Envelope/s:Body/c:SendOptInCode_INPUT/c:OptInCode",
                            t, sizeof t), 1, "OptInCode in the class namespace");
    is_str(t, "123456", "OptInCode value");
    wsman_reply_text(&r, NULL, "/s:Envelope/s:Header/wsa:MessageID", t, sizeof t);
    is_str(t, "m<&>2", "escaped text round-trips");
    wsman_reply_free(&r);
    xmlFree(xml);
}

static void test_build_put_echo(void)
{
    wsman_reply got;
    char err[64], t[64];
    wsman_reply_parse(&got, redir_get, sizeof redir_get - 1, err, sizeof err);
    xmlNodePtr inst = wsman_reply_instance(&got, REDIR_URI, "AMT_RedirectionService");
    ok(inst != NULL, "instance found for Put");
    xmlNodePtr body;
    xmlDocPtr doc = wsman_envelope_new(WSMAN_ACTION_PUT, REDIR_URI, "1", &body);
    const char *names[] = {"ListenerEnabled"};
    const char *values[] = {"false"};
    ok(wsman_add_put_instance(body, REDIR_URI, inst, names, values, 1) != NULL, "Put body built");
    wsman_reply_free(&got);
    char *xml;
    size_t len;
    wsman_serialize(doc, &xml, &len);
    xmlFreeDoc(doc);
    wsman_reply r;
    wsman_reply_parse(&r, xml, len, err, sizeof err);
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "ListenerEnabled", t, sizeof t);
    is_str(t, "false", "override applied");
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "EnabledState", t, sizeof t);
    is_str(t, "32771", "other properties echoed as read");
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "SystemName", t, sizeof t);
    is_str(t, "Intel(r) AMT", "strings echoed as read");
    xmlXPathObjectPtr o = xmlXPathEvalExpression(
        BAD_CAST "count(/s:Envelope/s:Body/c:AMT_RedirectionService/*)", r.xp);
    is_int(o ? (long)o->floatval : -1, 7, "exactly the 7 properties of the Get, no duplicates");
    xmlXPathFreeObject(o);
    wsman_reply_free(&r);
    xmlFree(xml);
}

/* Firmware refuses a Put whose properties are out of the schema order (the Get's,
 * alphabetical): an override the Get lacked is inserted where it sorts. */
static void test_build_put_order(void)
{
    wsman_reply got;
    char err[64];
    /* the Get without ListenerEnabled: that override must land between EnabledState
       and Name; one sorting first goes first, one sorting last goes last */
    char *no_listener = strdup(redir_get);
    char *cut = strstr(no_listener, "   <g:ListenerEnabled>");
    char *end = strstr(cut, "\n") + 1;
    memmove(cut, end, strlen(end) + 1);
    is_int(wsman_reply_parse(&got, no_listener, strlen(no_listener), err, sizeof err), 0,
           "Get without ListenerEnabled parses");
    xmlNodePtr inst = wsman_reply_instance(&got, REDIR_URI, "AMT_RedirectionService");
    xmlNodePtr body;
    xmlDocPtr doc = wsman_envelope_new(WSMAN_ACTION_PUT, REDIR_URI, "1", &body);
    const char *names[] = {"Zzz", "ListenerEnabled", "Aaa"};
    const char *values[] = {"z", "false", "a"};
    ok(inst && wsman_add_put_instance(body, REDIR_URI, inst, names, values, 3) != NULL,
       "Put body built");
    wsman_reply_free(&got);
    free(no_listener);
    char order[256] = "";
    xmlNodePtr put = body ? body->children : NULL;
    for (xmlNodePtr ch = put ? put->children : NULL; ch; ch = ch->next)
        if (ch->type == XML_ELEMENT_NODE) {
            strncat(order, (const char *)ch->name, sizeof order - strlen(order) - 2);
            strcat(order, " ");
        }
    is_str(order,
           "Aaa CreationClassName ElementName EnabledState ListenerEnabled Name "
           "SystemCreationClassName SystemName Zzz ",
           "missing overrides inserted in schema (alphabetical) order");
    xmlFreeDoc(doc);
}

static void test_build_power(void)
{
    const char *svc = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_PowerManagementService";
    xmlNodePtr body;
    xmlDocPtr doc = wsman_envelope_new("x", svc, "1", &body);
    xmlNodePtr in = wsman_add_ns_element(body, svc, "RequestPowerStateChange_INPUT");
    wsman_add_child(in, "PowerState", "10");
    ok(wsman_add_managed_system_epr(in, "ManagedElement") != NULL, "EPR built");
    char *xml;
    size_t len;
    wsman_serialize(doc, &xml, &len);
    xmlFreeDoc(doc);
    wsman_reply r;
    char err[64], t[128];
    wsman_reply_parse(&r, xml, len, err, sizeof err);
    const char *p = "/s:Envelope/s:Body/c:RequestPowerStateChange_INPUT/c:ManagedElement";
    char xp[256];
    snprintf(xp, sizeof xp, "%s/wsa:Address", p);
    wsman_reply_text(&r, svc, xp, t, sizeof t);
    is_str(t, WSMAN_NS_ADDR, "EPR Address is the addressing namespace URI");
    snprintf(xp, sizeof xp, "%s/wsa:ReferenceParameters/wsman:ResourceURI", p);
    wsman_reply_text(&r, svc, xp, t, sizeof t);
    is_str(t, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ComputerSystem", "EPR ResourceURI");
    snprintf(xp, sizeof xp, "%s/wsa:ReferenceParameters/wsman:SelectorSet/wsman:Selector[@Name='Name']", p);
    wsman_reply_text(&r, svc, xp, t, sizeof t);
    is_str(t, "ManagedSystem", "EPR selector Name=ManagedSystem");
    snprintf(xp, sizeof xp, "%s/wsa:ReferenceParameters/wsman:SelectorSet/wsman:Selector[@Name='CreationClassName']", p);
    wsman_reply_text(&r, svc, xp, t, sizeof t);
    is_str(t, "CIM_ComputerSystem", "EPR selector CreationClassName");
    wsman_reply_text(&r, svc, "/s:Envelope/s:Body/c:RequestPowerStateChange_INPUT/c:PowerState", t, sizeof t);
    is_str(t, "10", "PowerState parameter");
    wsman_reply_free(&r);
    xmlFree(xml);
}

static void test_parse_replies(void)
{
    wsman_reply r;
    char err[128], t[64];
    uint32_t u = 0;

    is_int(wsman_reply_parse(&r, redir_get, sizeof redir_get - 1, err, sizeof err), 0, "redirection Get parses");
    is_str(r.action, "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse", "reply Action");
    is_str(r.relates_to, "0", "reply RelatesTo");
    ok(!r.is_fault, "not a fault");
    is_int(wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "EnabledState", t, sizeof t), 1, "EnabledState found");
    is_str(t, "32771", "EnabledState value (whitespace trimmed)");
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "ListenerEnabled", t, sizeof t);
    is_int(wsman_parse_bool(t), 1, "ListenerEnabled true");
    is_int(wsman_reply_prop(&r, OPTIN_URI, "AMT_RedirectionService", "EnabledState", t, sizeof t), 0,
           "class namespace must match, not just the name");
    char small[4];
    is_int(wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "ElementName", small, sizeof small), -1,
           "too-long value reported, not truncated");
    wsman_reply_free(&r);

    is_int(wsman_reply_parse(&r, redir_get_other_prefixes, sizeof redir_get_other_prefixes - 1, err, sizeof err), 0,
           "other prefixes parse");
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "EnabledState", t, sizeof t);
    is_str(t, "32768", "value found regardless of prefixes");
    wsman_reply_prop(&r, REDIR_URI, "AMT_RedirectionService", "ListenerEnabled", t, sizeof t);
    is_int(wsman_parse_bool(t), 0, "booleans compared case-insensitively (FALSE)");
    wsman_reply_free(&r);

    wsman_reply_parse(&r, redir_wrong_ns, sizeof redir_wrong_ns - 1, err, sizeof err);
    ok(wsman_reply_instance(&r, REDIR_URI, "AMT_RedirectionService") == NULL,
       "same local name in another namespace is not the class");
    wsman_reply_free(&r);

    wsman_reply_parse(&r, optin_get, sizeof optin_get - 1, err, sizeof err);
    wsman_reply_prop(&r, OPTIN_URI, "IPS_OptInService", "OptInRequired", t, sizeof t);
    is_int(wsman_parse_u32(t, &u), 0, "OptInRequired parses as uint32");
    ok(u == 4294967295u, "OptInRequired 4294967295 (ALL)");
    wsman_reply_prop(&r, OPTIN_URI, "IPS_OptInService", "OptInState", t, sizeof t);
    is_str(t, "2", "OptInState");
    wsman_reply_free(&r);

    wsman_reply_parse(&r, send_code_resp, sizeof send_code_resp - 1, err, sizeof err);
    is_int(wsman_reply_return_value(&r, OPTIN_URI, "SendOptInCode", &u), 0, "ReturnValue found");
    is_int(u, 2066, "ReturnValue 2066");
    is_int(wsman_reply_return_value(&r, OPTIN_URI, "StartOptIn", &u), -1, "other method's output absent");
    wsman_reply_free(&r);

    wsman_reply_parse(&r, power_pull, sizeof power_pull - 1, err, sizeof err);
    is_int(wsman_reply_text(&r, APMS_URI,
                            "/s:Envelope/s:Body/en:PullResponse/en:Items/c:CIM_AssociatedPowerManagementService[1]/c:PowerState",
                            t, sizeof t), 1, "Pull item PowerState found");
    is_str(t, "8", "PowerState 8");
    ok(wsman_reply_node(&r, NULL, "/s:Envelope/s:Body/en:PullResponse/en:EndOfSequence") != NULL, "EndOfSequence");
    wsman_reply_free(&r);
}

static void test_parse_faults(void)
{
    wsman_reply r;
    char err[128];
    is_int(wsman_reply_parse(&r, fault_dest, sizeof fault_dest - 1, err, sizeof err), 0, "fault parses");
    ok(r.is_fault, "is a fault");
    is_str(r.fault_code_ns, WSMAN_NS_SOAP, "Code resolved to the SOAP namespace");
    is_str(r.fault_code, "Sender", "Code Sender");
    is_str(r.fault_subcode_ns, WSMAN_NS_ADDR, "Subcode prefix b resolved to addressing");
    is_str(r.fault_subcode, "DestinationUnreachable", "Subcode local name");
    ok(strncmp(r.fault_reason, "No route can be determined", 26) == 0, "Reason text");
    is_str(r.action, "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault", "fault Action");
    wsman_reply_free(&r);

    wsman_reply_parse(&r, fault_exists, sizeof fault_exists - 1, err, sizeof err);
    is_str(r.fault_subcode_ns, WSMAN_NS_WSMAN, "prefix e resolved to wsman (different map)");
    is_str(r.fault_subcode, "AlreadyExists", "AlreadyExists");
    wsman_reply_free(&r);

    /* a device's reason text reaches the error log: one line, no control characters */
    {
        static const char forged[] =
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault>"
            "<s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason><s:Text>\n  Bad thing\r\n"
            "[Sat Dec 05 00:00:00 2026] [core:crit] forged\t x  </s:Text></s:Reason>"
            "</s:Fault></s:Body></s:Envelope>";
        is_int(wsman_reply_parse(&r, forged, sizeof forged - 1, err, sizeof err), 0,
               "a fault with a multi-line reason parses");
        is_str(r.fault_reason, "Bad thing [Sat Dec 05 00:00:00 2026] [core:crit] forged x",
               "... its reason is one line: white space runs are one space");
        wsman_reply_free(&r);
    }

    wsman_reply_parse(&r, fault_local_prefix, sizeof fault_local_prefix - 1, err, sizeof err);
    is_str(r.fault_subcode_ns, WSMAN_NS_ADDR, "prefix declared on Subcode resolved in scope");
    is_str(r.fault_code, "Receiver", "Receiver");
    wsman_reply_free(&r);
}

static void test_parse_rejects(void)
{
    wsman_reply r;
    char err[128];
    is_int(wsman_reply_parse(&r, "<a>", 3, err, sizeof err), -1, "malformed XML refused");
    wsman_reply_free(&r); /* safe after failure */
    const char soap11[] = "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body/></e:Envelope>";
    is_int(wsman_reply_parse(&r, soap11, sizeof soap11 - 1, err, sizeof err), -1, "SOAP 1.1 envelope refused");
    const char nobody[] = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Header/></e:Envelope>";
    is_int(wsman_reply_parse(&r, nobody, sizeof nobody - 1, err, sizeof err), -1, "envelope without Body refused");
    is_int(wsman_reply_parse(&r, with_dtd, sizeof with_dtd - 1, err, sizeof err), -1, "DTD refused");
    const char html[] = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" ><html><body>Log on failed</body></html>";
    is_int(wsman_reply_parse(&r, html, sizeof html - 1, err, sizeof err), -1, "HTML 401 page refused");
    is_int(wsman_reply_parse(&r, "", 0, err, sizeof err), -1, "empty refused");
}

static void test_helpers(void)
{
    uint32_t u;
    is_int(wsman_parse_u32("4294967296", &u), -1, "u32 overflow refused");
    is_int(wsman_parse_u32("-1", &u), -1, "negative refused");
    is_int(wsman_parse_u32("12x", &u), -1, "trailing junk refused");
    is_int(wsman_parse_bool("yes"), -1, "non-boolean refused");
    char out[37];
    is_int(amt_platform_guid_to_uuid("13AEE355D2BFBB6117A088AEDD7037EA", out), 0, "PlatformGUID converts");
    is_str(out, "55e3ae13-bfd2-61bb-17a0-88aedd7037ea", "SMBIOS byte swap of the first three groups (spec §4.7)");
    is_int(amt_platform_guid_to_uuid("13AEE355D2BFBB6117A088AEDD7037EZ", out), -1, "non-hex GUID refused");
    is_int(amt_platform_guid_to_uuid("8C3F1E52-1234-4ABC-9DEF-0123456789AB", out), 0, "dashed UUID accepted");
    is_str(out, "8c3f1e52-1234-4abc-9def-0123456789ab", "dashed UUID canonicalised");
}

int main(void)
{
    xmlInitParser();
    test_build_get();
    test_build_method_and_escape();
    test_build_put_echo();
    test_build_put_order();
    test_build_power();
    test_parse_replies();
    test_parse_faults();
    test_parse_rejects();
    test_helpers();
    xmlCleanupParser();
    return tap_done();
}
