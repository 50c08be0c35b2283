/* WS-Man envelope builder and reply reader (see wsman_xml.h). */
#include "wsman_xml.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
}

/* ---- requests ---------------------------------------------------------- */

xmlDocPtr wsman_envelope_new(const char *action, const char *resource_uri,
                             const char *message_id, xmlNodePtr *body)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    if (!doc)
        return NULL;
    xmlNodePtr env = xmlNewDocNode(doc, NULL, BAD_CAST "Envelope", NULL);
    if (!env)
        goto fail;
    xmlDocSetRootElement(doc, env);
    /* Same prefix block as DMT/MeshCommander (spec §2.1, §3.1); AMT is namespace-aware,
     * so the prefixes only matter for humans reading captures. */
    xmlNewNs(env, BAD_CAST WSMAN_NS_XSI, BAD_CAST "xsi");
    xmlNewNs(env, BAD_CAST WSMAN_NS_XSD, BAD_CAST "xsd");
    xmlNsPtr a = xmlNewNs(env, BAD_CAST WSMAN_NS_ADDR, BAD_CAST "a");
    xmlNsPtr w = xmlNewNs(env, BAD_CAST WSMAN_NS_WSMAN, BAD_CAST "w");
    xmlNsPtr s = xmlNewNs(env, BAD_CAST WSMAN_NS_SOAP, NULL);
    if (!a || !w || !s)
        goto fail;
    xmlSetNs(env, s);

    xmlNodePtr hdr = xmlNewChild(env, s, BAD_CAST "Header", NULL);
    if (!hdr)
        goto fail;
    xmlNodePtr reply_to;
    if (!xmlNewTextChild(hdr, a, BAD_CAST "Action", BAD_CAST action) ||
        !xmlNewTextChild(hdr, a, BAD_CAST "To", BAD_CAST "/wsman") ||
        !xmlNewTextChild(hdr, w, BAD_CAST "ResourceURI", BAD_CAST resource_uri) ||
        !xmlNewTextChild(hdr, a, BAD_CAST "MessageID", BAD_CAST message_id) ||
        !(reply_to = xmlNewChild(hdr, a, BAD_CAST "ReplyTo", NULL)) ||
        !xmlNewTextChild(reply_to, a, BAD_CAST "Address", BAD_CAST WSMAN_ANONYMOUS) ||
        !xmlNewTextChild(hdr, w, BAD_CAST "OperationTimeout", BAD_CAST "PT60S"))
        goto fail;
    xmlNodePtr b = xmlNewChild(env, s, BAD_CAST "Body", NULL);
    if (!b)
        goto fail;
    *body = b;
    return doc;
fail:
    xmlFreeDoc(doc);
    return NULL;
}

xmlNodePtr wsman_add_ns_element(xmlNodePtr parent, const char *ns_uri, const char *name)
{
    xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    if (!n)
        return NULL;
    xmlNsPtr h = xmlNewNs(n, BAD_CAST ns_uri, BAD_CAST "h");
    if (!h)
        return NULL;
    xmlSetNs(n, h);
    return n;
}

xmlNodePtr wsman_add_child(xmlNodePtr parent, const char *name, const char *text)
{
    /* xmlNewTextChild escapes &, < and > in text. */
    return xmlNewTextChild(parent, parent->ns, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static const char *override_for(const char *name, const char *const *names,
                                const char *const *values, size_t n, int *used)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) {
            used[i] = 1;
            return values[i];
        }
    return NULL;
}

xmlNodePtr wsman_add_put_instance(xmlNodePtr body, const char *ns_uri, const xmlNode *instance,
                                  const char *const *override_names,
                                  const char *const *override_values, size_t n_overrides)
{
    int used[16] = {0};
    if (n_overrides > sizeof used / sizeof used[0])
        return NULL;
    xmlNodePtr out = wsman_add_ns_element(body, ns_uri, (const char *)instance->name);
    if (!out)
        return NULL;
    for (const xmlNode *ch = instance->children; ch; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE)
            continue;
        /* Firmware validates the body against the class's schema sequence, which is the
         * (alphabetical) order of its Get reply: an override the Get lacked goes where
         * it sorts, not at the end (docs/real-hardware-wsman.md, strict schema). */
        for (size_t i = 0; i < n_overrides; i++)
            if (!used[i] && strcmp(override_names[i], (const char *)ch->name) < 0) {
                used[i] = 1;
                if (!wsman_add_child(out, override_names[i], override_values[i]))
                    return NULL;
            }
        const char *ov = override_for((const char *)ch->name, override_names, override_values,
                                      n_overrides, used);
        if (ov) {
            if (!wsman_add_child(out, (const char *)ch->name, ov))
                return NULL;
            continue;
        }
        /* Echo the property exactly as read (spec §3.3: never hand-write property lists). */
        xmlChar *txt = xmlNodeGetContent(ch);
        xmlNodePtr c = wsman_add_child(out, (const char *)ch->name, (const char *)txt);
        xmlFree(txt);
        if (!c)
            return NULL;
    }
    for (size_t i = 0; i < n_overrides; i++)
        if (!used[i] && !wsman_add_child(out, override_names[i], override_values[i]))
            return NULL;
    return out;
}

xmlNodePtr wsman_add_managed_system_epr(xmlNodePtr parent, const char *name)
{
    xmlNodePtr me = xmlNewChild(parent, parent->ns, BAD_CAST name, NULL);
    if (!me)
        return NULL;
    xmlNsPtr a = xmlNewNs(me, BAD_CAST WSMAN_NS_ADDR, BAD_CAST "a");
    xmlNsPtr w = xmlNewNs(me, BAD_CAST WSMAN_NS_WSMAN, BAD_CAST "w");
    if (!a || !w)
        return NULL;
    /* The Address text really is the addressing namespace URI (spec §4.6). */
    xmlNodePtr rp, ss, sel;
    if (!xmlNewTextChild(me, a, BAD_CAST "Address", BAD_CAST WSMAN_NS_ADDR) ||
        !(rp = xmlNewChild(me, a, BAD_CAST "ReferenceParameters", NULL)) ||
        !xmlNewTextChild(rp, w, BAD_CAST "ResourceURI",
                         BAD_CAST WSMAN_URI_CIM("CIM_ComputerSystem")) ||
        !(ss = xmlNewChild(rp, w, BAD_CAST "SelectorSet", NULL)))
        return NULL;
    if (!(sel = xmlNewTextChild(ss, w, BAD_CAST "Selector", BAD_CAST "CIM_ComputerSystem")) ||
        !xmlNewProp(sel, BAD_CAST "Name", BAD_CAST "CreationClassName"))
        return NULL;
    if (!(sel = xmlNewTextChild(ss, w, BAD_CAST "Selector", BAD_CAST "ManagedSystem")) ||
        !xmlNewProp(sel, BAD_CAST "Name", BAD_CAST "Name"))
        return NULL;
    return me;
}

int wsman_serialize(xmlDocPtr doc, char **out, size_t *len)
{
    xmlChar *mem = NULL;
    int n = 0;
    xmlDocDumpMemoryEnc(doc, &mem, &n, "utf-8");
    if (!mem || n <= 0) {
        xmlFree(mem);
        return -1;
    }
    *out = (char *)mem;
    *len = (size_t)n;
    return 0;
}

/* ---- replies ------------------------------------------------------------ */

static int copy_trimmed(const xmlChar *in, char *out, size_t outlen)
{
    const char *s = in ? (const char *)in : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= outlen) {
        if (outlen)
            out[0] = '\0';
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* Resolves a QName text ("b:DestinationUnreachable") against the namespaces in scope at
 * node, because fault prefixes differ between firmware messages (spec §2.5). */
static void resolve_qname(xmlDocPtr doc, xmlNodePtr node, char *ns_out, size_t nslen,
                          char *local_out, size_t locallen)
{
    ns_out[0] = local_out[0] = '\0';
    if (!node)
        return;
    xmlChar *txt = xmlNodeGetContent(node);
    char q[256];
    if (copy_trimmed(txt, q, sizeof q) != 0) {
        xmlFree(txt);
        return;
    }
    xmlFree(txt);
    char *colon = strchr(q, ':');
    const char *local = q;
    xmlNsPtr ns;
    if (colon) {
        *colon = '\0';
        local = colon + 1;
        ns = xmlSearchNs(doc, node, BAD_CAST q);
    } else {
        ns = xmlSearchNs(doc, node, NULL); /* default namespace */
    }
    /* Names that do not fit are dropped, not cut: a cut name could match another. */
    if (ns && ns->href && strlen((const char *)ns->href) < nslen)
        memcpy(ns_out, ns->href, strlen((const char *)ns->href) + 1);
    if (strlen(local) < locallen)
        memcpy(local_out, local, strlen(local) + 1);
}

/* The fault reason is text the device chose, and it ends up in the error log and in
 * Redfish error messages: copied as one line, each run of white space (newlines
 * included) made one space, other control characters shown as '?', so that a device
 * cannot forge log lines or split a message. Cut at the buffer's end. */
static void copy_one_line(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && n + 1 < cap; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            pending_space = n > 0;
            continue;
        }
        if (pending_space && n + 2 < cap)
            dst[n++] = ' ';
        pending_space = 0;
        dst[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    dst[n] = '\0';
}

int wsman_reply_parse(wsman_reply *r, const char *buf, size_t len, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!buf || len == 0 || len > (size_t)INT32_MAX) {
        set_err(err, errlen, "empty reply");
        return -1;
    }
    /* NONET: never fetch anything; no NOENT: entities are not substituted. */
    r->doc = xmlReadMemory(buf, (int)len, "wsman-reply.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    if (!r->doc) {
        set_err(err, errlen, "reply is not well-formed XML");
        return -1;
    }
    if (r->doc->intSubset || r->doc->extSubset) {
        set_err(err, errlen, "reply carries a DTD");
        goto fail;
    }
    xmlNodePtr root = xmlDocGetRootElement(r->doc);
    if (!root || !root->ns || strcmp((const char *)root->name, "Envelope") != 0 ||
        strcmp((const char *)root->ns->href, WSMAN_NS_SOAP) != 0) {
        set_err(err, errlen, "reply is not a SOAP 1.2 envelope");
        goto fail;
    }
    r->xp = xmlXPathNewContext(r->doc);
    if (!r->xp || xmlXPathRegisterNs(r->xp, BAD_CAST "s", BAD_CAST WSMAN_NS_SOAP) ||
        xmlXPathRegisterNs(r->xp, BAD_CAST "wsa", BAD_CAST WSMAN_NS_ADDR) ||
        xmlXPathRegisterNs(r->xp, BAD_CAST "wsman", BAD_CAST WSMAN_NS_WSMAN) ||
        xmlXPathRegisterNs(r->xp, BAD_CAST "en", BAD_CAST WSMAN_NS_ENUM)) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }
    if (wsman_reply_text(r, NULL, "/s:Envelope/s:Header/wsa:Action", r->action,
                         sizeof r->action) < 0 ||
        wsman_reply_text(r, NULL, "/s:Envelope/s:Header/wsa:RelatesTo", r->relates_to,
                         sizeof r->relates_to) < 0) {
        set_err(err, errlen, "oversized reply header");
        goto fail;
    }
    if (!wsman_reply_node(r, NULL, "/s:Envelope/s:Body")) {
        set_err(err, errlen, "reply has no SOAP Body");
        goto fail;
    }
    xmlNodePtr fault = wsman_reply_node(r, NULL, "/s:Envelope/s:Body/*[1][self::s:Fault]");
    if (fault) {
        r->is_fault = 1;
        resolve_qname(r->doc, wsman_reply_node(r, NULL, "/s:Envelope/s:Body/s:Fault/s:Code/s:Value"),
                      r->fault_code_ns, sizeof r->fault_code_ns, r->fault_code,
                      sizeof r->fault_code);
        resolve_qname(r->doc,
                      wsman_reply_node(r, NULL,
                                       "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value"),
                      r->fault_subcode_ns, sizeof r->fault_subcode_ns, r->fault_subcode,
                      sizeof r->fault_subcode);
        /* A reason longer than the buffer is cut, not refused: it is only a message. */
        xmlNodePtr t = wsman_reply_node(r, NULL, "/s:Envelope/s:Body/s:Fault/s:Reason/s:Text");
        if (t) {
            xmlChar *txt = xmlNodeGetContent(t);
            copy_one_line(r->fault_reason, sizeof r->fault_reason, txt ? (const char *)txt : "");
            xmlFree(txt);
        }
    }
    return 0;
fail:
    wsman_reply_free(r);
    return -1;
}

void wsman_reply_free(wsman_reply *r)
{
    if (r->xp)
        xmlXPathFreeContext(r->xp);
    if (r->doc)
        xmlFreeDoc(r->doc);
    r->xp = NULL;
    r->doc = NULL;
}

xmlNodePtr wsman_reply_node(wsman_reply *r, const char *class_ns, const char *xpath)
{
    if (!r->xp)
        return NULL;
    /* Re-registering "c" replaces the previous class namespace. NULL unregisters it (that
     * "fails" harmlessly when it was not registered), so a stale class namespace can
     * never leak into an XPath that does not name one. */
    if (class_ns) {
        if (xmlXPathRegisterNs(r->xp, BAD_CAST "c", BAD_CAST class_ns) != 0)
            return NULL;
    } else {
        xmlXPathRegisterNs(r->xp, BAD_CAST "c", NULL);
    }
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xpath, r->xp);
    xmlNodePtr n = NULL;
    if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0)
        n = o->nodesetval->nodeTab[0];
    xmlXPathFreeObject(o);
    return n;
}

int wsman_reply_text(wsman_reply *r, const char *class_ns, const char *xpath, char *out,
                     size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    xmlNodePtr n = wsman_reply_node(r, class_ns, xpath);
    if (!n)
        return 0;
    xmlChar *txt = xmlNodeGetContent(n);
    int rc = copy_trimmed(txt, out, outlen);
    xmlFree(txt);
    return rc == 0 ? 1 : -1;
}

xmlNodePtr wsman_reply_instance(wsman_reply *r, const char *class_ns, const char *cls)
{
    char xpath[256];
    if ((size_t)snprintf(xpath, sizeof xpath, "/s:Envelope/s:Body/c:%s", cls) >= sizeof xpath)
        return NULL;
    return wsman_reply_node(r, class_ns, xpath);
}

int wsman_reply_prop(wsman_reply *r, const char *class_ns, const char *cls, const char *prop,
                     char *out, size_t outlen)
{
    char xpath[256];
    if ((size_t)snprintf(xpath, sizeof xpath, "/s:Envelope/s:Body/c:%s/c:%s", cls, prop) >=
        sizeof xpath)
        return -1;
    return wsman_reply_text(r, class_ns, xpath, out, outlen);
}

int wsman_reply_return_value(wsman_reply *r, const char *class_ns, const char *method,
                             uint32_t *rv)
{
    char xpath[256], txt[16];
    if ((size_t)snprintf(xpath, sizeof xpath, "/s:Envelope/s:Body/c:%s_OUTPUT/c:ReturnValue",
                         method) >= sizeof xpath)
        return -1;
    if (wsman_reply_text(r, class_ns, xpath, txt, sizeof txt) != 1)
        return -1;
    return wsman_parse_u32(txt, rv);
}

int wsman_parse_bool(const char *s)
{
    if (strcasecmp(s, "true") == 0)
        return 1;
    if (strcasecmp(s, "false") == 0)
        return 0;
    return -1;
}

int wsman_parse_u32(const char *s, uint32_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}
