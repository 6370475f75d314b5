"""Request contracts of the Segment Public API and the Avo import API, as JSON Schemas.

Transcribed from the published models, NOT from Reflekt's client. Each rule names its source:

* [go]  segmentio/public-api-sdk-go, api/model_*.go (API version 73.0.8): struct fields, which
        are required (no ``omitempty``, set in ``New*``), and which are ``*string ... omitempty``
        (optional: omitted when empty, never ``null``).
* [ts]  segmentio/public-api-sdk-typescript, api/trackingPlansApi.ts: operations, paths, the
        ``rules`` DELETE parameter in query form, ``type`` filter on listTrackingPlans.
* [tf]  segmentio/terraform-provider-segment, internal/provider/tracking_plan_rules_resource_test.go:
        IDENTIFY rules carry no ``key`` (``TestCheckNoResourceAttr(... "rules.0.key")``).
* [doc] segment.com/docs: Protocols ("labels ... only available for Track and Page events"),
        Public API "Rate Limits" (429 body ``data.msBeforeNext``, ``X-RateLimit-Reset`` RFC 5322),
        "Pagination" (count 1..1000, default 200); Protocols FAQ (200 rules per request).
* [avo] avohq/docs pages/reference/public-api/import-tracking-plan.mdx and export-tracking-plan.mdx:
        body ``{"schema": {"events": {...}}}``, ``x-avo-sendAs`` values, unresolved ``$ref`` is a
        parse error, ``GroupProperty`` falls back to EventProperty with a warning, integer counts
        in ``result``, ``warnings`` in every answer, 403 protected main, 409 merged/closed.
* [qs]  Node ``qs`` defaults (arrayLimit 20): a query array with more than 20 entries is parsed
        as an object, so such a DELETE does not mean what the client meant.
* [I]   inference for the fake, stated as such (see shared/reference/contracts.md).
"""

from __future__ import annotations

RULE_TYPES = ["COMMON", "GROUP", "IDENTIFY", "PAGE", "SCREEN", "TRACK"]       # [go] RuleV1.type enum
PLAN_TYPES = ["ENGAGE", "LIVE", "PROPERTY_LIBRARY", "RULE_LIBRARY", "TEMPLATE"]  # [go] TrackingPlanV1.type
KEYLESS_RULES = {"COMMON", "IDENTIFY", "GROUP"}   # [tf] no key on IDENTIFY; [doc] COMMON applies to every call
LABELLED_RULES = {"TRACK", "PAGE"}                # [doc] labels "only available for Track and Page events"
MAX_PAGE_COUNT = 1000                             # [doc] pagination count "between 1 and 1000"
DEFAULT_PAGE_COUNT = 200                          # [doc] "the count will default to 200"
QS_ARRAY_LIMIT = 20                               # [qs]
MAX_REQUEST_LINE = 8192                           # [I] common proxy limit (8 KB); Node's header limit is 16 KB

_KEY = {"type": "string", "minLength": 1}         # [go] Key *string `json:"key,omitempty"`: never null
_RULE_FIELDS = {
    "type": {"enum": RULE_TYPES},                 # [go] Type string `json:"type"` (required)
    "key": _KEY,
    "jsonSchema": {"type": ["object", "null"]},   # [go] JsonSchema interface{} `json:"jsonSchema"` (required key)
    "version": {"type": "number"},                # [go] Version float32 `json:"version"` (required)
}

#: [go] model_rule_input_v1.go: RuleInputV1 (the items of PUT .../rules).
RULE_INPUT_V1 = {"type": "object", "required": ["type", "jsonSchema", "version"], "additionalProperties": False,
                 "properties": _RULE_FIELDS}
#: [go] model_upsert_rule_v1.go: UpsertRuleV1 (the items of PATCH .../rules) = RuleInputV1 + newKey.
UPSERT_RULE_V1 = {"type": "object", "required": ["type", "jsonSchema", "version"], "additionalProperties": False,
                  "properties": {**_RULE_FIELDS, "newKey": _KEY}}


def replace_rules_body(max_rules: int) -> dict:
    """[go] model_replace_rules_in_tracking_plan_v1_input.go: only ``rules`` (no ``trackingPlanId``);
    [doc] at most 200 rules per request (some accounts 2000: configurable)."""
    return {"type": "object", "required": ["rules"], "additionalProperties": False,
            "properties": {"rules": {"type": "array", "maxItems": max_rules, "items": RULE_INPUT_V1}}}


def update_rules_body(max_rules: int) -> dict:
    """[go] model_update_rules_in_tracking_plan_v1_input.go: only ``rules``, items UpsertRuleV1."""
    return {"type": "object", "required": ["rules"], "additionalProperties": False,
            "properties": {"rules": {"type": "array", "maxItems": max_rules, "items": UPSERT_RULE_V1}}}


#: [go] model_create_tracking_plan_v1_input.go: name and type required, description optional.
CREATE_PLAN_BODY = {"type": "object", "required": ["name", "type"], "additionalProperties": False,
                    "properties": {"name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
                                   "type": {"enum": PLAN_TYPES}}}

#: [go] model_remove_rule_v1.go: RemoveRuleV1, sent as the ``rules`` query array [ts].
REMOVE_RULE_V1 = {"type": "object", "required": ["type", "version"], "additionalProperties": False,
                  "properties": {"type": {"enum": RULE_TYPES}, "key": _KEY,
                                 "version": {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}}}

#: [go] PaginationInput + [ts] listTrackingPlans(pagination?, type?) query parameters.
LIST_QUERY = {"type": "object", "additionalProperties": False, "properties": {
    "pagination[count]": {"type": "string", "pattern": r"^[0-9]+$"},
    "pagination[cursor]": {"type": "string", "minLength": 1},
    "pagination.count": {"type": "string", "pattern": r"^[0-9]+$"},     # [doc] dotted form of the Pagination page
    "pagination.cursor": {"type": "string", "minLength": 1},
    "type": {"enum": PLAN_TYPES}}}

# --- Avo ---------------------------------------------------------------------------------------
SEND_AS = ["EventProperty", "UserProperty", "SystemProperty"]   # [avo] x-avo-sendAs extension values
IMPORT_METHODS = ["addOnly", "addAndUpdate", "addUpdateAndRemove"]  # [avo] importMethod query parameter

_AVO_PROPERTY = {"type": "object", "properties": {
    "x-avo-sendAs": {"enum": [*SEND_AS, "GroupProperty"]},   # [avo] GroupProperty: falls back, with a warning
    "type": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
    "description": {"type": "string"}, "enum": {"type": "array"}, "pattern": {"type": "string"}}}
#: [avo] JSON Schema import body: ``{"schema": {"events": {"<Event Name>": {...}}}}``.
AVO_IMPORT_BODY = {"type": "object", "required": ["schema"], "properties": {"schema": {
    "type": "object", "required": ["events"], "properties": {"events": {
        "type": "object", "additionalProperties": {
            "type": "object", "properties": {
                "type": {"const": "object"}, "description": {"type": "string"},
                "properties": {"type": "object", "additionalProperties": _AVO_PROPERTY},
                "required": {"type": "array", "items": {"type": "string"}}}}}}}}}
