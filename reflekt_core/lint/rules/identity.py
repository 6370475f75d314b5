"""The ``self`` block, ``$id`` and file layout: what identifies a schema version."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.schemas.layout import IGLU, FileIdentity, file_identity
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.version import IGLU_SELF_DESC, SCHEMAVER, is_self_describing, scheme_of, version_problem
from reflekt_core.schemas.walk import escape

#: Iglu's identifiers (iglu-core's SchemaKey): vendor may hold dots, name may not.
IGLU_VENDOR = re.compile(r"^[a-zA-Z0-9_\-.]+$")
IGLU_NAME = re.compile(r"^[a-zA-Z0-9_\-]+$")


def _identity(schema: EventSchema, ctx: LintContext) -> FileIdentity | None:
    return file_identity(schema.rel_path, ctx.layout)


def _iglu_shaped(schema: EventSchema, ctx: LintContext) -> bool:
    """Identified by ``self`` alone: a file of an Iglu repository, or a self-describing schema."""
    return ctx.layout == IGLU or is_self_describing(schema.doc)


@schema_rule("R201", "metadata.meta_schema", Level.ERROR)
def meta_schema(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """The schema validates against the project meta-schema ``schemas/.reflekt/meta/1-0.json``.

    This is how a team makes metadata such as ``self.metadata.code_owner`` required.
    Fails (meta-schema requires code_owner): ``"self": {"metadata": {}}``
    Passes: ``"self": {"metadata": {"code_owner": "growth"}}``
    """
    if ctx.meta_validator is None:
        return
    for where, ref in ctx.meta_validator.unresolved:
        yield "", (f"meta-schema: $ref '{ref}' (at {where}) points to another document, which Reflekt never "
                   "fetches; reference a bundled JSON Schema meta-schema (draft-04 to 2020-12) or inline it")
    for error in ctx.meta_validator.iter_errors(schema.doc):
        pointer = "".join(f"/{escape(str(p))}" for p in error.absolute_path)
        where = pointer or "the schema"
        yield pointer, f"meta-schema: {error.message} (at {where})"


@schema_rule("R202", "identity.id_no_spaces", Level.ERROR)
def id_no_spaces(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``$id`` contains no spaces (folders use ``Event_Name``, not ``Event Name``).

    Fails: ``"$id": "web/Order Completed/1-0.json"``
    Passes: ``"$id": "web/Order_Completed/1-0.json"``
    """
    value = schema.doc.get("$id")
    if isinstance(value, str) and " " in value:
        yield "/$id", f"$id '{value}' contains spaces"


@schema_rule("R203", "identity.id_matches_path", Level.ERROR)
def id_matches_path(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``$id`` is present and equals the file's path relative to ``schemas/``.

    Fails (file schemas/web/Order_Completed/1-0.json): ``"$id": "web/Order_Completed/1-1.json"``
    Passes (same file): ``"$id": "web/Order_Completed/1-0.json"``
    """
    value = schema.doc.get("$id")
    if value is None and _iglu_shaped(schema, ctx):
        return  # self-describing schemas are identified by their self block (R204, R205, R208)
    if value is None:
        yield "", f"$id is missing; set it to '{schema.rel_path}'"
    elif value != schema.rel_path:
        yield "/$id", f"$id '{value}' does not match the file path '{schema.rel_path}'"


@schema_rule("R204", "identity.name_matches_folder", Level.ERROR)
def name_matches_folder(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.name`` matches the event folder, with spaces written as underscores.

    Fails (folder Order_Completed): ``"self": {"name": "Order Complete"}``
    Passes (folder Order_Completed): ``"self": {"name": "Order Completed"}``
    """
    identity = _identity(schema, ctx)
    folder = identity.event if identity else ""
    if not folder:
        expected = ("schemas/<vendor>/<name>/jsonschema/<MODEL>-<REVISION>-<ADDITION>" if ctx.layout == IGLU
                    else "schemas/<...>/<Event_Name>/<MAJOR>-<MINOR>.json")
        yield "/self/name", f"schema file '{schema.rel_path}' is not inside an event folder; expected {expected}"
    elif folder != schema.name.replace(" ", "_"):
        yield "/self/name", (f"event name '{schema.name}' does not match its folder '{folder}' "
                             f"(expected folder '{schema.name.replace(' ', '_')}')")


@schema_rule("R205", "identity.version_matches_file", Level.ERROR)
def version_matches_file(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.version`` equals the file name (``1-0`` lives in ``1-0.json``).

    Fails (file 1-0.json): ``"self": {"version": "1-1"}``
    Passes (file 1-0.json): ``"self": {"version": "1-0"}``
    """
    identity = _identity(schema, ctx)
    suffix = "" if ctx.layout == IGLU else ".json"
    stem = identity.version if identity else schema.rel_path.rsplit("/", 1)[-1].removesuffix(".json")
    if stem != schema.version:
        yield "/self/version", (f"version '{schema.version}' does not match the file name "
                                f"'{stem}{suffix}' (expected '{schema.version}{suffix}')")


@schema_rule("R206", "identity.version_format", Level.ERROR)
def version_format(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.version`` is ``MAJOR-MINOR`` (SchemaVer ``1-0-0`` when Iglu) with no leading zeros.

    Self-describing Iglu schemas, files of an Iglu repository and projects with
    ``schemas.versioning: schemaver`` use SchemaVer ``MODEL-REVISION-ADDITION``.
    Fails: ``"self": {"version": "01-0"}``
    Passes: ``"self": {"version": "1-0"}``
    """
    scheme = SCHEMAVER if ctx.layout == IGLU else scheme_of(schema.doc, ctx.project.versioning)
    problem = version_problem(schema.version, scheme)
    if problem:
        yield "/self/version", problem


@schema_rule("R207", "identity.format", Level.ERROR)
def schema_format(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.format`` is ``jsonschema`` and ``self.vendor`` is set.

    Fails: ``"self": {"format": "avro"}``
    Passes: ``"self": {"vendor": "com.example", "format": "jsonschema"}``
    """
    block = schema.self_block
    if block.get("format") != "jsonschema":
        yield "/self/format", f"self.format is {block.get('format')!r}; expected 'jsonschema'"
    if not isinstance(block.get("vendor"), str) or not block["vendor"].strip():
        yield "/self", f"self.vendor is missing; set it (the project vendor is '{ctx.project.vendor}')"
    identity = _identity(schema, ctx)
    if ctx.layout == IGLU and identity and identity.format != block.get("format"):
        yield "/self/format", f"self.format {block.get('format')!r} does not match its folder '{identity.format}'"


@schema_rule("R208", "identity.vendor_matches_folder", Level.ERROR)
def vendor_matches_folder(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """A self-describing (Iglu) schema lives in the folder of its vendor, under valid Iglu names.

    Iglu's identity mapping: ``self.vendor`` is the plan folder and ``self.name`` the event
    folder; a vendor is letters, digits, ``_ - .``, a name letters, digits, ``_ -``.
    Fails (file com.acme/link_click/1-0-0.json): ``"self": {"vendor": "com.other", "name": "link_click"}``
    Passes (same file): ``"self": {"vendor": "com.acme", "name": "link_click"}``
    """
    if not _iglu_shaped(schema, ctx):
        return
    block = schema.self_block
    vendor, name = block.get("vendor"), schema.name
    if not isinstance(vendor, str) or not IGLU_VENDOR.match(vendor) or vendor.strip(".") == "":
        yield "/self/vendor", f"self.vendor {vendor!r} is not a valid Iglu vendor (letters, digits, _ - .)"
    elif (identity := _identity(schema, ctx)) and identity.plan != vendor:
        yield "/self/vendor", (f"self.vendor '{vendor}' does not match its folder '{identity.plan}' "
                               f"(Iglu schemas live in schemas/<vendor>/<name>/...)")
    if not IGLU_NAME.match(name):
        yield "/self/name", f"self.name {name!r} is not a valid Iglu name (letters, digits, _ -)"


@schema_rule("R209", "identity.self_describing", Level.ERROR, default=False)
def self_describing(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``$schema`` is Iglu's self-describing meta-schema (igluctl's ``schemaUri``).

    On by default only for ``reflekt lint --iglu-dir``.
    Fails: ``"$schema": "http://json-schema.org/draft-07/schema#"``
    Passes: ``"$schema": "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"``
    """
    value = schema.doc.get("$schema")
    if value is None:
        yield "", f"$schema is missing; a self-describing schema has \"$schema\": \"{IGLU_SELF_DESC}\""
    elif value != IGLU_SELF_DESC:
        yield "/$schema", f"$schema is {value!r}, not Iglu's self-describing meta-schema {IGLU_SELF_DESC}"


RULES = [meta_schema, id_no_spaces, id_matches_path, name_matches_folder, version_matches_file,
         version_format, schema_format, vendor_matches_folder, self_describing]
