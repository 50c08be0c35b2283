/* WS-Management SOAP 1.2 envelopes for Intel AMT: building requests and reading replies
 * with libxml2. httpd-free, no global state.
 *
 * Replies are read with XPath over *registered namespace URIs*, never by prefix: AMT uses
 * different prefix maps for normal replies, faults and Pull replies (spec §2.4, §2.5, §7).
 * The prefixes available in every XPath below are:
 *   s = SOAP envelope, wsa = WS-Addressing, wsman = wsman.xsd, en = WS-Enumeration,
 *   c = the class namespace passed by the caller (may be NULL when unused). */
#ifndef WSMAN_XML_H
#define WSMAN_XML_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <libxml/xpath.h>

#define WSMAN_NS_SOAP "http://www.w3.org/2003/05/soap-envelope"
#define WSMAN_NS_ADDR "http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WSMAN_NS_WSMAN "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WSMAN_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define WSMAN_NS_XSD "http://www.w3.org/2001/XMLSchema"
#define WSMAN_ANONYMOUS "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

#define WSMAN_ACTION_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define WSMAN_ACTION_PUT "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
#define WSMAN_ACTION_ENUMERATE "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define WSMAN_ACTION_PULL "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"

/* Class resource URIs (spec §2.1). */
#define WSMAN_URI_AMT(cls) "http://intel.com/wbem/wscim/1/amt-schema/1/" cls
#define WSMAN_URI_CIM(cls) "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/" cls
#define WSMAN_URI_IPS(cls) "http://intel.com/wbem/wscim/1/ips-schema/1/" cls

/* ---- requests ---------------------------------------------------------- */

/* A new envelope with DMT's header sequence (Action, To=/wsman, ResourceURI, MessageID,
 * ReplyTo anonymous, OperationTimeout PT60S) and an empty Body, returned in *body.
 * No SelectorSet: every class we touch is a singleton (spec §2.2). NULL on OOM. */
xmlDocPtr wsman_envelope_new(const char *action, const char *resource_uri,
                             const char *message_id, xmlNodePtr *body);

/* <h:name xmlns:h="ns_uri"/> appended to parent (typically the Body). */
xmlNodePtr wsman_add_ns_element(xmlNodePtr parent, const char *ns_uri, const char *name);

/* <h:name>text</h:name> in parent's namespace; text is escaped; NULL text = empty. */
xmlNodePtr wsman_add_child(xmlNodePtr parent, const char *name, const char *text);

/* Body of a Put that echoes an instance as read by Get (spec §3.3): a new
 * <h:Class xmlns:h=ns> under body with one child per element child of instance (same
 * local names and text), except that each name in override_names gets the matching
 * override_values text (appended if the instance lacks it). */
xmlNodePtr wsman_add_put_instance(xmlNodePtr body, const char *ns_uri, const xmlNode *instance,
                                  const char *const *override_names,
                                  const char *const *override_values, size_t n_overrides);

/* The ManagedElement EPR of CIM_ComputerSystem "ManagedSystem" used by power methods
 * (spec §4.6), appended to parent as <h:name>. */
xmlNodePtr wsman_add_managed_system_epr(xmlNodePtr parent, const char *name);

/* Serialises doc as UTF-8 with an XML declaration. *out must be released with xmlFree().
 * Returns 0 or -1. */
int wsman_serialize(xmlDocPtr doc, char **out, size_t *len);

/* ---- replies ------------------------------------------------------------ */

typedef struct wsman_reply {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    char action[256];          /* Header/Action (empty if absent) */
    char relates_to[128];      /* Header/RelatesTo (empty if absent) */
    int is_fault;              /* Body's first element child is s:Fault */
    char fault_code_ns[128];   /* Fault/Code/Value resolved QName */
    char fault_code[64];
    char fault_subcode_ns[128];/* Fault/Code/Subcode/Value resolved QName */
    char fault_subcode[64];
    char fault_reason[256];    /* Fault/Reason/Text */
} wsman_reply;

/* Parses a SOAP 1.2 envelope (no network, no DTDs, no entity expansion). Returns 0, or -1
 * with a reason in err. On success r must be released with wsman_reply_free(); it is
 * safe to call wsman_reply_free() on a zeroed or failed reply too. */
int wsman_reply_parse(wsman_reply *r, const char *buf, size_t len, char *err, size_t errlen);
void wsman_reply_free(wsman_reply *r);

/* First node matched by xpath (prefixes: see top of file), or NULL. */
xmlNodePtr wsman_reply_node(wsman_reply *r, const char *class_ns, const char *xpath);

/* Text of the first node matched by xpath, trimmed, into out. Returns 1 if found,
 * 0 if not (out = ""), -1 if it does not fit or the XPath is invalid. */
int wsman_reply_text(wsman_reply *r, const char *class_ns, const char *xpath, char *out,
                     size_t outlen);

/* The instance element /s:Envelope/s:Body/c:cls of a Get/Put reply, or NULL. */
xmlNodePtr wsman_reply_instance(wsman_reply *r, const char *class_ns, const char *cls);

/* Property prop of the Get/Put reply instance cls (namespace class_ns). Same returns as
 * wsman_reply_text(). */
int wsman_reply_prop(wsman_reply *r, const char *class_ns, const char *cls, const char *prop,
                     char *out, size_t outlen);

/* ReturnValue of a method reply <c:method_OUTPUT>. Returns 0 or -1 (absent / not a uint32). */
int wsman_reply_return_value(wsman_reply *r, const char *class_ns, const char *method,
                             uint32_t *rv);

/* Text helpers: "true"/"false" compared case-insensitively (-1 if neither), and a strict
 * decimal uint32 (OptInRequired 4294967295 does not fit in an int). */
int wsman_parse_bool(const char *s);
int wsman_parse_u32(const char *s, uint32_t *out);

#endif
