"""Write tests/fixtures/world/iglu and expected.yml: a static Iglu repository shaped like Iglu Central,
written anew (see tests/fixtures/world/NOTICE). Usage: python -m tests.world.make_corpus tests/fixtures/world/iglu"""
import copy, json, sys, shutil
from pathlib import Path

OUT = Path(sys.argv[1])
SD = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"
files = {}          # rel path -> bytes
expected = {}       # "vendor/name/old..new" -> verdict

def dump(doc, style):
    if style == "tab":
        text = json.dumps(doc, indent="\t", ensure_ascii=False)
    elif style == "tab-crlf":
        text = json.dumps(doc, indent="\t", ensure_ascii=False).replace("\n", "\r\n")
    elif style == "two":
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    elif style == "escaped":
        text = json.dumps(doc, indent=4, ensure_ascii=True) + "\n"
    elif style == "spaced":  # '"key" : value' and a blank line after self, as hand-written files have
        text = json.dumps(doc, indent=4, ensure_ascii=False, separators=(",", " : "))
        text = text.replace('\n    "self" : {', '\n\n    "self" : {', 1) + "\n"
    else:
        text = json.dumps(doc, indent=4, ensure_ascii=False)   # no final newline, like many real files
    return text.encode("utf-8")

def sd(vendor, name, version, body, description="", fmt="jsonschema", head_desc=True):
    doc = {"$schema": SD}
    if head_desc and description:
        doc["description"] = description
    doc["self"] = {"vendor": vendor, "name": name, "format": fmt, "version": version}
    if not head_desc and description:
        doc["description"] = description
    doc.update(body)
    return doc

def put(vendor, name, version, doc, style="four", fmt="jsonschema"):
    files[f"schemas/{vendor}/{name}/{fmt}/{version}"] = doc if isinstance(doc, bytes) else dump(doc, style)

def history(vendor, name, versions, style="four"):
    """versions: list of (version, body, verdict of this version against the previous one or None)."""
    for i, (version, body, verdict) in enumerate(versions):
        put(vendor, name, version, sd(vendor, name, version, body, f"Schema for {name.replace('_', ' ')}"), style)
        if i:
            expected[f"{vendor}/{name}/{versions[i-1][0]}..{version}"] = verdict

def obj(props, required=(), extra=True, **kw):
    body = {"type": "object", "properties": props}
    if required:
        body["required"] = list(required)
    if extra is False:
        body["additionalProperties"] = False
    body.update(kw)
    return body

S = lambda **kw: {"type": "string", **kw}
N = lambda t="integer", **kw: {"type": t, **kw}
NS = lambda **kw: {"type": ["string", "null"], **kw}

# ---- 1. a long ADDITION history (like a CDN access log: 1-0-0 .. 1-0-6) -------------------------
v = "com.example.cdn"
base = {"dateTime": S(format="date-time"), "xEdgeLocation": S(maxLength=32), "scBytes": N(minimum=0, maximum=9223372036854775807)}
steps = [("1-0-0", obj(base, ["dateTime"], extra=False), None)]
adds = [("csIp", NS(format="ipv4")), ("csMethod", NS(enum=["GET", "POST", None])), ("csHost", NS(maxLength=255)),
        ("csUriStem", NS(maxLength=8192)), ("scStatus", {"type": ["integer", "null"], "minimum": 100, "maximum": 599}),
        ("csReferer", NS(maxLength=8192))]
props = dict(base)
for i, (k, schema) in enumerate(adds, start=1):
    props = {**props, k: schema}
    steps.append((f"1-0-{i}", obj(props, ["dateTime"], extra=False), "addition"))
history(v, "wd_access_log", steps, style="four")

# ---- 2. a mixed SchemaVer history: 1-0-0 1-0-1 1-1-0 2-0-0 2-0-1 2-1-0 3-0-0 4-0-0 -----------
v = "com.example.storage"
p1 = {"name": S(), "host": S(), "port": N(minimum=1, maximum=65535), "password": S(), "sslMode": S(enum=["DISABLE", "REQUIRE"])}
p2 = {**p1, "schema": S()}
ssh = {"type": ["object", "null"], "properties": {"bastion": S(), "port": N(minimum=1, maximum=65535)}}
pw = {"type": ["string", "object"], "properties": {"parameterStore": {"type": "object", "properties": {"key": S()}, "required": ["key"]}},
      "required": ["parameterStore"]}
p3 = {**p2, "password": pw, "sshTunnel": ssh}
history(v, "warehouse_config", [
    ("1-0-0", obj(p1, ["name", "host", "port"], extra=False), None),
    ("1-0-1", obj(p2, ["name", "host", "port"], extra=False), "addition"),              # optional property
    ("1-1-0", obj(p3, ["name", "host", "port"], extra=False), "addition"),              # string -> string|object requiring a key
    ("2-0-0", obj({**p3, "port": N(minimum=1024, maximum=65535)}, ["name", "host", "port", "schema"], extra=False), "breaking"),
    ("2-0-1", obj({**p3, "port": N(minimum=1024, maximum=65535), "blocklist": {"type": "array", "items": S(maxLength=64)}},
                  ["name", "host", "port", "schema"], extra=False), "addition"),
    ("2-1-0", obj({**p3, "port": N(minimum=1024, maximum=65535), "blocklist": {"type": ["array", "null"], "items": S(maxLength=64)}},
                  ["name", "host", "port", "schema"], extra=False), "addition"),
    ("3-0-0", obj({k: val for k, val in p3.items() if k != "sshTunnel"} | {"port": N(minimum=1024, maximum=65535)},
                  ["name", "host", "port", "schema"], extra=False), "breaking"),          # sshTunnel removed
    ("4-0-0", obj({k: val for k, val in p3.items() if k != "sshTunnel"} | {"port": N(minimum=1024, maximum=65535), "tags": {"type": "object"}},
                  ["name", "host", "port", "schema"], extra=False), "addition"),          # a MODEL that could be 3-0-1
], style="tab")

# ---- 3. real-looking mistakes and subtle compatible changes -----------------------------------
v = "com.example.mobile"
history(v, "remote_config", [
    ("1-0-0", obj({"configurationVersion": N(minimum=0), "endpoint": S(format="uri")}, ["configurationVersion"]), None),
    ("1-0-1", obj({"configurationVersion": N(minimum=0, maximum=2147483647), "endpoint": S(format="uri", maxLength=2048)},
                  ["configurationVersion"]), "breaking"),                                  # bounds added under an ADDITION
], style="two")
history(v, "user_agent_context", [
    ("1-0-0", obj({"deviceClass": S(enum=["Desktop", "Phone", "Tablet", "Unknown"]), "agentName": NS(maxLength=128)}, ["deviceClass"]), None),
    ("1-0-1", obj({"deviceClass": S(maxLength=128), "agentName": NS(maxLength=128), "agentVersion": NS(maxLength=64)}, ["deviceClass"]), "addition"),
    ("1-0-2", obj({"deviceClass": S(maxLength=4), "agentName": NS(maxLength=128), "agentVersion": NS(maxLength=64)}, ["deviceClass"]), "breaking"),
], style="four")
history(v, "parser_config", [
    ("1-0-0", obj({"enabled": {"type": "boolean"}, "parameters": {"type": "object", "maxProperties": 0}}, ["enabled", "parameters"], extra=False), None),
    ("1-0-1", obj({"enabled": {"type": "boolean"}, "parameters": obj({"database": S(), "uri": S(format="uri")}, extra=False)},
                  ["enabled", "parameters"], extra=False), "addition"),                     # the object had to be empty before
], style="four")
history(v, "runtime_error", [
    ("1-0-0", obj({"event": S(), "error": S(maxLength=2048)}, ["event", "error"]), None),
    ("1-0-1", obj({"payload": S(), "failure": S(maxLength=2048), "processor": S()}, ["payload", "failure"]), "breaking"),  # a rename under an ADDITION
], style="spaced")
history(v, "detection_config", [
    ("1-0-0", obj({"parameters": obj({"useLists": {"type": "boolean"}}, ["useLists"], extra=False)}, ["parameters"]), None),
    ("1-0-1", obj({"parameters": obj({"useLists": {"type": "boolean"}, "useClientSide": {"type": "boolean"}}, ["useLists", "useClientSide"], extra=False)},
                  ["parameters"]), "breaking"),                                              # a required property added
], style="tab")
auth0 = [obj({"accessKeyId": S(), "secretAccessKey": S()}, ["accessKeyId", "secretAccessKey"]), {"type": "null"}]
history(v, "loader_auth", [
    ("1-0-0", obj({"auth": {"oneOf": copy.deepcopy(auth0)}}, ["auth"]), None),
    ("1-0-1", obj({"auth": {"oneOf": copy.deepcopy(auth0) + [obj({"integrationName": S()}, ["integrationName"])]}}, ["auth"]), "breaking"),  # may overlap
], style="two")
history(v, "browser_context", [
    ("1-0-0", obj({"deviceMemory": {"type": ["integer", "null"], "minimum": 0}, "cookiesEnabled": {"type": "boolean"}}, ["cookiesEnabled"]), None),
    ("2-0-0", obj({"deviceMemory": {"type": ["number", "null"], "minimum": 0}, "cookiesEnabled": {"type": "boolean"}}, ["cookiesEnabled"]), "addition"),  # widened; MODEL by choice
], style="four")
history(v, "marketing_event", [
    ("1-0-0", obj({"changedAt": S(format="date"), "code": S(maxLength=10)}, ["code"]), None),
    ("2-0-0", obj({"changedAt": S(format="date-time"), "code": S(maxLength=10, pattern="^[A-Z]+$")}, ["code"]), "breaking"),
], style="escaped")

# ---- 4. deep nesting with anyOf, arrays of objects, local $refs, recursion ---------------------
v = "com.example.badrows"
lookup = {"type": "array", "minItems": 1, "items": obj({
    "repository": S(description="Name of the repository"),
    "errors": {"type": "array", "items": obj({"error": {"enum": ["RepoFailure", "NotFound"]}, "message": S(maxLength=256)}, ["error"])},
    "attempts": N(minimum=0)}, ["repository", "errors"])}
failure = {"type": "array", "items": {"anyOf": [
    obj({"schemaKey": S(), "error": {"anyOf": [obj({"error": {"enum": ["ResolutionError"]}, "lookupHistory": lookup}, ["error", "lookupHistory"]),
                                               obj({"error": {"enum": ["ValidationError"]}, "dataReports": {"type": "array", "items": {"$ref": "#/definitions/report"}}}, ["error"])]}},
        ["schemaKey", "error"]),
    obj({"criterion": S(), "error": {"$ref": "#/definitions/clientError"}}, ["criterion"])]}}
defs = {"report": obj({"message": S(), "path": NS(), "keyword": NS(), "targets": {"type": "array", "items": S()}}, ["message"]),
        "clientError": obj({"kind": S(enum=["Timeout", "Refused"]), "cause": {"$ref": "#/definitions/clientError"}}, ["kind"])}
payload = obj({"raw": obj({"vendor": S(), "parameters": {"type": "object"}}, ["vendor"])}, ["raw"])
history(v, "loader_error", [
    ("1-0-0", {**obj({"processor": obj({"artifact": S(), "version": S()}, ["artifact", "version"]), "failure": failure, "payload": payload},
                      ["processor", "failure", "payload"]), "definitions": defs}, None),
    ("2-0-0", {**obj({"processor": obj({"artifact": S(), "version": S()}, ["artifact", "version"]), "failure": failure,
                      "payload": obj({"raw": obj({"vendor": S(), "parameters": {"type": ["array", "null"], "items": obj({"name": S(), "value": NS()}, ["name", "value"], extra=False)}}, ["vendor"])}, ["raw"])},
                     ["processor", "failure", "payload"]), "definitions": defs}, "breaking"),  # parameters: object -> array
    ("2-0-1", {**obj({"processor": obj({"artifact": S(), "version": S()}, ["artifact", "version"]), "failure": failure,
                      "payload": obj({"raw": obj({"vendor": S(), "parameters": {"type": ["array", "null"], "items": obj({"name": S(), "value": NS()}, ["name", "value"], extra=False)}}, ["vendor"])}, ["raw"]),
                      "recoveredAt": NS(format="date-time")},
                     ["processor", "failure", "payload"]), "definitions": {**defs, "report": obj({**defs["report"]["properties"], "severity": NS(maxLength=16)}, ["message"])}}, "addition"),
], style="two")
# the misspelt required key, as in several real bad-row schemas (R507 says 'did you mean')
typo = copy.deepcopy(lookup)
typo["items"]["properties"]["repostitory"] = typo["items"]["properties"].pop("repository")
put(v, "iglu_error", "1-0-0", sd(v, "iglu_error", "1-0-0", obj({"lookupHistory": typo}, ["lookupHistory"]), "Iglu lookup failed"), "two")
# a recursive tree through "#"
put(v, "recovery_tree", "1-0-0", sd(v, "recovery_tree", "1-0-0", obj({"label": S(maxLength=64), "children": {"type": "array", "items": {"$ref": "#"}}}, ["label"]), "A tree"), "four")
history(v, "recoveries", [
    ("1-0-0", {"type": "array", "items": obj({"op": S(enum=["Test", "Replace", "Remove"]), "path": S()}, ["op", "path"])}, None),
    ("2-0-0", {"type": "object", "minProperties": 1, "patternProperties": {"^iglu:": {"type": "array", "items": obj({"op": S(enum=["Test", "Replace", "Remove"]), "path": S()}, ["op", "path"])}}}, "breaking"),
    ("3-0-0", {"type": "object", "minProperties": 1, "patternProperties": {"^iglu:": {"type": "array", "items": obj({"op": S(enum=["Replace"]), "path": S(),
               "value": {"type": ["array", "boolean", "null", "number", "object", "string"]}}, ["op", "path"])}}}, "breaking"),
], style="four")

# ---- 5. lint shapes -----------------------------------------------------------------------------
v = "com.example.storage"
put(v, "stream_loader_config", "1-0-0", sd(v, "stream_loader_config", "1-0-0", obj({
    "load": {"type": "object", "required": ["mode"], "oneOf": [
        {"required": ["retry"], "properties": {"mode": {"enum": ["STREAMING"]}, "retry": {"type": "boolean"}}},
        {"required": ["frequency"], "properties": {"mode": {"enum": ["FILE_LOADS"]}, "frequency": N(minimum=100, maximum=86400)}}]},
    "credentials": {"allOf": [{"$ref": "#/definitions/base"}], "required": ["project"]}}, ["load"]) | {"definitions": {"base": {"properties": {"project": S(maxLength=64)}}}},
    "Required keys defined in branches"), "tab-crlf")
v = "com.example.self-desc-users"
put(v, "command", "1-0-0", sd(v, "command", "1-0-0", obj({
    "envelope": {"$ref": "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/instance-iglu-only/jsonschema/1-0-0#"},
    "meta": {"$ref": "http://json-schema.org/draft-04/schema#"}}, ["envelope"]), "Envelope of a self-describing command"), "tab")
put(v, "instance_format", "1-0-0", sd(v, "instance_format", "1-0-0", obj({"link": S(format="strict-uri"), "body": S(maxLength=1000000),
    "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}}), "Odd formats, draft-04 bounds"), "four")
put(v, "root_array", "1-0-0", sd(v, "root_array", "1-0-0", {"type": "array", "items": S(maxLength=10)}, "A root that is not an object"), "two")

# ---- 6. odd names, case twins, many vendors ----------------------------------------------------
names = [("com.example-labs", "LinkClick"), ("com.example-labs", "link_click"), ("io.example.platform.events.v2", "SCREEN_VIEW"),
         ("io.example.platform.events.v2", "page-ping"), ("org.example", "open"), ("org.example.other", "OPEN"),
         ("org.example", "mediaPlayerEvent"), ("org.example", "ga4_item"), ("net.example_underscore", "x"),
         ("com.example.UPPER", "Name-With-Hyphens_and_underscores"), ("com.example", "WebPage"), ("com.example", "web_page")]
for i, (vendor, name) in enumerate(names):
    body = obj({"label": S(maxLength=255, description="A label"), "value": N(minimum=0, maximum=100, description="A value")}, ["label"])
    put(vendor, name, "1-0-0", sd(vendor, name, "1-0-0", body, f"Schema with an odd name ({i})", head_desc=bool(i % 2)),
        ["four", "tab", "two", "spaced", "escaped", "tab-crlf"][i % 6])
# non-ASCII text, both raw and escaped
put("com.example.i18n", "visit", "1-0-0", sd("com.example.i18n", "visit", "1-0-0", obj({"city": S(maxLength=64, description="Ville visitée – São Paulo, Zürich, 東京")}),
    "Une visite à la boutique ☕"), "four")
put("com.example.i18n", "visit", "1-0-1", sd("com.example.i18n", "visit", "1-0-1", obj({"city": S(maxLength=64, description="Ville visitée – São Paulo, Zürich, 東京"),
    "note": NS(maxLength=280, description="Remarque")}), "Une visite à la boutique ☕"), "escaped")
expected["com.example.i18n/visit/1-0-0..1-0-1"] = "addition"

# ---- 7. other Iglu formats beside JSON Schema --------------------------------------------------
files["schemas/com.example.config/ClusterConfig/avro/1-0-0"] = dump({"namespace": "com.example.config", "name": "ClusterConfig_1_0_0", "type": "record",
    "fields": [{"name": "region", "type": "string"}, {"name": "size", "type": "int"}]}, "four")
files["schemas/com.example.config/ClusterConfig/avro/1-1-0"] = dump({"namespace": "com.example.config", "name": "ClusterConfig_1_1_0", "type": "record",
    "fields": [{"name": "region", "type": "string"}, {"name": "size", "type": "int"}, {"name": "tags", "type": {"type": "map", "values": "string"}}]}, "four")
files["schemas/com.example.collector/Payload/thrift/1-0-0"] = dump({"description": "A collector payload", "self": {"vendor": "com.example.collector",
    "name": "Payload", "format": "thrift", "version": "1-0-0"}, "idl": "struct Payload {\n 1: string body\n 2: optional string querystring\n}"}, "tab")
files["schemas/com.example.collector/Block/protobuf/1-0-0"] = dump(sd("com.example.collector", "Block", "1-0-0",
    {"idl": "message Block { optional int32 version = 1; repeated bytes items = 2; }"}, "A protobuf block", fmt="protobuf"), "tab")
files["schemas/com.example.collector/Raw/avro/1-0-0"] = b"Obj\x01\x04\x14avro.codec\x08null\x16avro.schema"  # not JSON at all

# ---- 8. a spread of ordinary families to reach a realistic size ----------------------------------
kinds = ["click", "view", "submit", "change", "focus", "error", "timing", "consent", "purchase", "refund", "search", "share",
         "login", "logout", "signup", "invite", "upload", "download", "play", "pause", "seek", "rate", "review", "subscribe"]
for i, kind in enumerate(kinds):
    vendor = ["com.example.web", "com.example.app", "io.example.ecommerce", "com.example.media"][i % 4]
    props = {f"{kind}_id": S(format="uuid", description="Identifier"), "occurred_at": S(format="date-time", description="When")}
    versions = [("1-0-0", obj(props, [f"{kind}_id"]), None)]
    for n in range(1, 1 + i % 4):
        props = {**props, f"field_{n}": NS(maxLength=100 * n, description=f"Field {n}")}
        versions.append((f"1-0-{n}", obj(props, [f"{kind}_id"]), "addition"))
    if i % 5 == 0:  # a REVISION that only widens a type
        last = versions[-1][0].split("-")
        props = {**props, "occurred_at": {"type": ["string", "null"], "format": "date-time", "description": "When"}}
        versions.append((f"1-{int(last[1]) + 1}-0", obj(props, [f"{kind}_id"]), "addition"))
    history(vendor, f"{kind}_event", versions, style=["four", "tab", "two", "escaped"][i % 4])

# write
if OUT.exists():
    shutil.rmtree(OUT)
for rel, data in files.items():
    path = OUT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
import yaml
(OUT.parent / "expected.yml").write_text(
    "# Verdict of each consecutive version pair of iglu/ (reflekt_core.evolution.classify), checked by tests/world.\n"
    + yaml.safe_dump({"pairs": dict(sorted(expected.items()))}, sort_keys=False, allow_unicode=True))
print(len(files), "files,", len(expected), "pairs")
