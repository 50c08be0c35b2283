#!/usr/bin/python3
"""Validates Redfish response bodies against the DMTF JSON schemas.

usage: validate-redfish.py [--schemas DIR] FILE...   ('-' reads stdin)

The schema is chosen from the body: "@odata.type" "#X.v1_2_3.X" -> X.v1_2_3.json,
"#XCollection.XCollection" -> XCollection.json, an "error" object -> the
redfish-error schema, a bare "@Message.ExtendedInfo" -> Message per entry, and
GenerateRedirectionToken's answer -> the inline schema below (our OEM type).
Every $ref to redfish.dmtf.org is resolved from the local copy, never the network.
Prints "ok FILE" or "not ok FILE: reason" per file; exit status 1 if any failed.
Needs Debian's python3-jsonschema (run with /usr/bin/python3).
"""
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
# The DMTF schemas the service uses, vendored by t/tools/vendor-redfish-schemas
# (BSD-3-Clause, LICENSE.md beside them); RFAMT_REDFISH_SCHEMAS overrides.
DEFAULT_SCHEMAS = os.environ.get('RFAMT_REDFISH_SCHEMAS') or os.path.normpath(
    os.path.join(HERE, '..', 'schemas', 'redfish'))

TOKEN_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["RedirectionToken", "ExpirationTime"],
    "properties": {
        "RedirectionToken": {"type": "string",
                             "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$"},
        "ExpirationTime": {"type": "string", "format": "date-time",
                           "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
        "ConsoleURI": {"type": "string", "pattern": r"^wss?://"},
    },
}

_cache = {}


def newest_of(schemas, name):
    """The local copy holds only the newest version of each schema; a $ref to an
    older version (e.g. redfish-error -> Message.v1_0_12) uses the newest one of
    the same major version, which is a superset by DMTF's versioning rules."""
    m = re.match(r'^([A-Za-z]+)\.v(\d+)_\d+_\d+\.json$', name)
    if not m:
        return None
    found = [f for f in os.listdir(schemas)
             if re.match(r'^%s\.v%s_\d+_\d+\.json$' % (m.group(1), m.group(2)), f)]
    return sorted(found, key=lambda f: [int(x) for x in re.findall(r'\d+', f)])[-1] if found else None


def load(schemas, name, top=False):
    if name not in _cache:
        path = os.path.join(schemas, name)
        if not os.path.exists(path) and not top and newest_of(schemas, name):
            path = os.path.join(schemas, newest_of(schemas, name))
        if not os.path.exists(path):
            raise FileNotFoundError('no schema file %s' % name)
        with open(path) as fh:
            _cache[name] = json.load(fh)
    return _cache[name]


def resolver_for(schemas, doc, base):
    def fetch(uri):
        name = uri.rsplit('/', 1)[-1].split('#', 1)[0]
        return load(schemas, name)
    return jsonschema.RefResolver(base, doc, handlers={'http': fetch, 'https': fetch})


def schema_for(schemas, body):
    """(schema document, base URI, fragment) for a body."""
    if 'error' in body and len(body) == 1:
        name = 'redfish-error.v1_0_2.json'
        return load(schemas, name), 'http://redfish.dmtf.org/schemas/v1/' + name, None
    t = body.get('@odata.type')
    if t is None:
        if set(body) == {'@Message.ExtendedInfo'}:
            return ({"type": "object", "additionalProperties": False,
                     "properties": {"@Message.ExtendedInfo": {
                         "type": "array", "minItems": 1,
                         "items": {"$ref": "http://redfish.dmtf.org/schemas/v1/"
                                           "Message.v1_3_0.json#/definitions/Message"}}}},
                    'http://redfish.dmtf.org/schemas/v1/inline.json', None)
        if 'RedirectionToken' in body:
            return TOKEN_SCHEMA, 'http://redfish.dmtf.org/schemas/v1/inline.json', None
        if set(body) == {'v1'}:  # GET /redfish
            return ({"type": "object", "required": ["v1"], "additionalProperties": False,
                     "properties": {"v1": {"const": "/redfish/v1/"}}},
                    'http://redfish.dmtf.org/schemas/v1/inline.json', None)
        if '@odata.context' in body and 'value' in body:  # /redfish/v1/odata
            return ({"type": "object", "required": ["value"],
                     "properties": {"value": {"type": "array", "items": {
                         "type": "object", "required": ["name", "kind", "url"]}}}},
                    'http://redfish.dmtf.org/schemas/v1/inline.json', None)
        raise ValueError('no @odata.type')
    m = re.match(r'^#([A-Za-z]+)\.(v\d+_\d+_\d+)\.([A-Za-z]+)$', t)
    if m:
        name = '%s.%s.json' % (m.group(1), m.group(2))
        return load(schemas, name, top=True), 'http://redfish.dmtf.org/schemas/v1/' + name, m.group(3)
    m = re.match(r'^#([A-Za-z]+)\.([A-Za-z]+)$', t)
    if m:
        name = '%s.json' % m.group(1)
        return load(schemas, name), 'http://redfish.dmtf.org/schemas/v1/' + name, m.group(2)
    raise ValueError('unrecognised @odata.type %r' % t)


def validate(schemas, body):
    doc, base, definition = schema_for(schemas, body)
    schema = doc
    if definition and 'definitions' in doc and definition in doc['definitions']:
        schema = {'$ref': base + '#/definitions/' + definition}
    validator = jsonschema.Draft7Validator(schema, resolver=resolver_for(schemas, doc, base),
                                           format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    return ['%s: %s' % ('/'.join(str(p) for p in e.path) or '(root)', e.message[:300])
            for e in errors]


def main(argv):
    schemas = DEFAULT_SCHEMAS
    if len(argv) > 2 and argv[1] == '--schemas':
        schemas, argv = argv[2], argv[:1] + argv[3:]
    failed = 0
    for path in argv[1:]:
        try:
            text = sys.stdin.read() if path == '-' else open(path).read()
            body = json.loads(text)
            if not isinstance(body, dict):
                raise ValueError('body is not a JSON object')
            problems = validate(schemas, body)
        except Exception as exc:  # a body we cannot even classify is a failure
            problems = ['%s: %s' % (type(exc).__name__, exc)]
        if problems:
            failed += 1
            print('not ok %s: %s' % (path, '; '.join(problems[:5])))
        else:
            print('ok %s' % path)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
