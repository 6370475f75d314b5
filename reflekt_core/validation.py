"""JSON Schema validation that is fast when the instance is valid and precise when it is not.

fastjsonschema compiles the schema to Python and answers "valid?" in microseconds;
only for an invalid instance does jsonschema walk it again to list every error
with its path. jsonschema's verdict is the one reported.

References are resolved offline, always: inside the document, or to one of the JSON
Schema meta-schemas (draft-04, 06, 07, 2019-09, 2020-12) that jsonschema ships in
``jsonschema_specifications``. Nothing is ever fetched: a reflekt 0.6 meta-schema's
``{"$ref": "http://json-schema.org/draft-07/schema#"}`` gives the same result with or
without a network, and any other remote reference is reported, not retrieved.

Speed (every lint validates each schema against the draft-07 meta-schema): fastjsonschema's
code is generated without error details (a "valid?" answer needs none), and jsonschema (with
its reference registry) is imported and built only when an instance is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

import fastjsonschema

from reflekt_core.schemas.walk import escape

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

#: Meta-schemas fastjsonschema implements; refs to the newer drafts are checked by jsonschema alone.
_FAST_DRAFTS = ("http://json-schema.org/draft-04/schema", "http://json-schema.org/draft-06/schema",
                "http://json-schema.org/draft-07/schema")
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependencies",
                "dependentSchemas")
_SCHEMA_ONES = ("additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not",
                "if", "then", "else", "unevaluatedItems", "unevaluatedProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "items", "prefixItems")


#: Iglu's schema of a self-describing instance (``{"schema": "iglu:...", "data": ...}``), which
#: every Iglu client ships with itself and Iglu Central's schemas reference by URL: an object with
#: exactly a ``schema`` (an Iglu URI) and ``data`` (anything). Bundled, like the meta-schemas.
IGLU_INSTANCE_URI = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/instance-iglu-only/jsonschema/1-0-0"
IGLU_INSTANCE: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "description": "A self-describing instance: an Iglu schema URI and the data it describes",
    "type": "object",
    "properties": {
        "schema": {"type": "string",
                   "pattern": r"^iglu:[a-zA-Z0-9-_.]+/[a-zA-Z0-9-_]+/[a-zA-Z0-9-_]+/[0-9]+-[0-9]+-[0-9]+$"},
        "data": {},
    },
    "required": ["schema", "data"],
    "additionalProperties": False,
}


class RemoteReferenceError(Exception):
    """A ``$ref`` names a document that is neither this one nor a bundled meta-schema."""


@lru_cache(maxsize=1)
def bundled_registry():
    """A ``referencing`` registry of the JSON Schema meta-schemas that refuses everything else."""
    from jsonschema_specifications import REGISTRY
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    def refuse(uri: str):
        raise NoSuchResource(ref=uri)

    registry = Registry(retrieve=refuse).combine(REGISTRY)
    # The old drafts are also referenced with https://; it is the same document.
    aliases = [("https://" + uri[len("http://"):], registry.get_or_retrieve(uri).value)
               for uri in _FAST_DRAFTS]
    from referencing import Resource
    from referencing.jsonschema import DRAFT4

    iglu = Resource.from_contents(IGLU_INSTANCE, default_specification=DRAFT4)
    return registry.with_resources([*aliases, (IGLU_INSTANCE_URI, iglu), (IGLU_INSTANCE_URI + "#", iglu)])


@lru_cache(maxsize=None)
def meta_schema(draft: str) -> dict[str, Any]:
    """The meta-schema of ``draft`` (``draft4``, ``draft7``...) that jsonschema validates against.

    Read from jsonschema_specifications' own files without importing it or jsonschema (with
    referencing and attrs, a large part of start-up), which a lint of valid schemas never needs.
    """
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("jsonschema_specifications")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder, "schemas", draft, "metaschema.json")
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    from jsonschema import validators

    return validators.validator_for({"$schema": _DRAFT_URIS[draft]}).META_SCHEMA


_DRAFT_URIS = {"draft4": "http://json-schema.org/draft-04/schema#", "draft6": "http://json-schema.org/draft-06/schema#",
               "draft7": "http://json-schema.org/draft-07/schema#"}


def _canonical(uri: str) -> str:
    """The registry key of a meta-schema URI (``https://`` draft-07 is the same document)."""
    document = urldefrag(uri)[0].rstrip("#")
    if document.startswith("https://json-schema.org/draft-0"):
        document = "http://" + document[len("https://"):]
    return document


def bundled_document(uri: str) -> dict[str, Any] | None:
    """The bundled meta-schema a URI names, or None."""
    from jsonschema_specifications import REGISTRY

    if urldefrag(uri)[0] == IGLU_INSTANCE_URI:
        return IGLU_INSTANCE

    try:
        return REGISTRY.contents(_canonical(uri))
    except LookupError:
        return None


def iter_refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(pointer, $ref value)`` at a schema position (not inside ``enum``/``const`` data)."""
    stack: list[tuple[str, Any]] = [(pointer, node)]
    while stack:
        here, current = stack.pop()
        if not isinstance(current, dict):
            continue
        ref = current.get("$ref")
        if isinstance(ref, str):
            yield f"{here}/$ref", ref
        for keyword in _SCHEMA_MAPS:
            members = current.get(keyword)
            if isinstance(members, dict):
                stack.extend((f"{here}/{keyword}/{escape(str(k))}", v) for k, v in members.items())
        for keyword in _SCHEMA_ONES:
            if isinstance(current.get(keyword), dict):
                stack.append((f"{here}/{keyword}", current[keyword]))
        for keyword in _SCHEMA_LISTS:
            members = current.get(keyword)
            if isinstance(members, list):
                stack.extend((f"{here}/{keyword}/{i}", v) for i, v in enumerate(members))


def ref_kind(ref: str, base: str = "") -> str:
    """``local`` (inside the document), ``bundled`` (a meta-schema) or ``remote``."""
    if ref.startswith("#"):
        return "local"
    document = urldefrag(urljoin(base, ref))[0]
    if not document or document == urldefrag(base)[0]:
        return "local"
    return "bundled" if bundled_document(document) is not None else "remote"


def remote_refs(schema: Any) -> list[tuple[str, str]]:
    """``(pointer, ref)`` of every reference Reflekt will not resolve (it never fetches)."""
    base = schema.get("$id", "") if isinstance(schema, dict) else ""
    base = base if isinstance(base, str) else ""
    return [(pointer, ref) for pointer, ref in iter_refs(schema) if ref_kind(ref, base) == "remote"]


class _OfflineHandlers(dict):
    """fastjsonschema fetches any scheme it has no handler for: answer every scheme from the bundle."""

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str):
        return _bundled_or_refuse


def _bundled_or_refuse(uri: str) -> dict[str, Any]:
    document = bundled_document(uri)
    if document is None:
        raise RemoteReferenceError(f"$ref '{uri}' is not bundled and is never fetched")
    return document


def _fast_can_check(schema: Any) -> bool:
    base = schema.get("$id", "") if isinstance(schema, dict) else ""
    base = base if isinstance(base, str) else ""
    for _, ref in iter_refs(schema):
        kind = ref_kind(ref, base)
        if kind == "remote" or (kind == "bundled" and _canonical(urljoin(base, ref)) not in _FAST_DRAFTS):
            return False
    return True


#: A call of one generated validation function from another: ``validate_x(data__a, custom_formats, NAME)``.
#: NAME only builds the path of an error message (with ``str.format(**locals())`` on every call,
#: the largest cost of a valid document); the fast path answers "valid?" and never shows it.
_NESTED_CALL = re.compile(r"^(\s*validate_\w+\(\w+, custom_formats, )\(name_prefix or \"data\"\)[^\n]*\)$",
                          re.MULTILINE)
_ENTRY = re.compile(r"^def (validate\w*)\(data, ", re.MULTILINE)


def compile_fast(schema: Any) -> Callable[[Any], Any]:
    """fastjsonschema's validator for ``schema``: raises ``JsonSchemaException`` when invalid.

    The code is generated without error details and with the error paths of nested calls left
    out; both only shape the message of an exception that callers discard. Should the
    generated code ever not have the expected shape, fastjsonschema's own compile is used.
    """
    options = {"handlers": _OfflineHandlers(), "use_default": False, "use_formats": False,
               "detailed_exceptions": False}
    try:
        code = fastjsonschema.compile_to_code(schema, **options)
    except KeyError:  # fastjsonschema 2.22 cannot write a terse "const" check; the detailed code is only longer
        options["detailed_exceptions"] = True
        code = fastjsonschema.compile_to_code(schema, **options)
    entry = _ENTRY.search(code)
    if entry is not None:
        namespace: dict[str, Any] = {}
        try:
            exec(compile(_NESTED_CALL.sub(r"\1None)", code), "<fastjsonschema>", "exec"), namespace)  # noqa: S102
        except SyntaxError:
            pass
        else:
            if callable(namespace.get(entry.group(1))):
                return namespace[entry.group(1)]
    return fastjsonschema.compile(schema, **options)


class Validator:
    """A draft-07 validator: ``iter_errors`` yields jsonschema errors, empty when valid.

    ``unresolved`` lists the references to other documents (never fetched); when there
    is one, ``iter_errors`` yields nothing and callers report those instead.
    """

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.unresolved = remote_refs(schema)
        self._precise_validator = None
        self._fast = None
        if not self.unresolved and _fast_can_check(schema):
            try:
                self._fast = compile_fast(schema)
            except (fastjsonschema.JsonSchemaDefinitionException, RecursionError, RemoteReferenceError):
                self._fast = None  # a schema fastjsonschema cannot compile is still checked precisely

    @property
    def _precise(self):
        """jsonschema's validator, built (and jsonschema imported) on first use."""
        if self._precise_validator is None:
            from jsonschema import Draft7Validator

            self._precise_validator = Draft7Validator(self.schema, registry=bundled_registry())
        return self._precise_validator

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        if self.unresolved:
            return
        if self._fast is not None:
            try:
                self._fast(instance)
                return
            except fastjsonschema.JsonSchemaException:
                pass
            except Exception:  # noqa: BLE001 - fall back to the reference implementation
                pass
        yield from self._precise.iter_errors(instance)
