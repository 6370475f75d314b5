"""The ``self`` block, ``$id`` and file layout: what identifies a schema version."""

from __future__ import annotations

from collections.abc import Iterator

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.schemas.model import STRICT_VERSION_PATTERN, EventSchema
from reflekt_core.schemas.walk import escape


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
    folder = schema.event_dir.rsplit("/", 1)[-1]
    if not folder:
        yield "/self/name", (f"schema file '{schema.rel_path}' is not inside an event folder; "
                             "expected schemas/<...>/<Event_Name>/<MAJOR>-<MINOR>.json")
    elif folder != schema.name.replace(" ", "_"):
        yield "/self/name", (f"event name '{schema.name}' does not match its folder '{folder}' "
                             f"(expected folder '{schema.name.replace(' ', '_')}')")


@schema_rule("R205", "identity.version_matches_file", Level.ERROR)
def version_matches_file(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.version`` equals the file name (``1-0`` lives in ``1-0.json``).

    Fails (file 1-0.json): ``"self": {"version": "1-1"}``
    Passes (file 1-0.json): ``"self": {"version": "1-0"}``
    """
    stem = schema.rel_path.rsplit("/", 1)[-1][: -len(".json")]
    if stem != schema.version:
        yield "/self/version", (f"version '{schema.version}' does not match the file name "
                                f"'{stem}.json' (expected '{schema.version}.json')")


@schema_rule("R206", "identity.version_format", Level.ERROR)
def version_format(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``self.version`` is ``MAJOR-MINOR`` with no leading zeros.

    Fails: ``"self": {"version": "01-0"}``
    Passes: ``"self": {"version": "1-0"}``
    """
    if not STRICT_VERSION_PATTERN.match(schema.version):
        yield "/self/version", f"version '{schema.version}' has a leading zero; write e.g. '1-0'"


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


RULES = [meta_schema, id_no_spaces, id_matches_path, name_matches_folder, version_matches_file,
         version_format, schema_format]
