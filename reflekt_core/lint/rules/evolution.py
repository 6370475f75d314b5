"""The evolution gate's rules (``reflekt lint --base REF``): published versions stay compatible.

These rules are produced by :mod:`reflekt_core.evolution.gate` from a comparison with a git
ref, not by a check over one schema; they are listed here so that they can be selected,
skipped and re-levelled like every other rule, and explained by ``reflekt rules``.
"""

from __future__ import annotations

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Rule


def _gate_rule(code: str, name: str, level: Level, doc: str) -> Rule:
    return Rule(code=code, name=name, level=level, scope="evolution", check=lambda *a: (), doc=doc.strip())


published_edit = _gate_rule("R701", "evolution.published_edit", Level.ERROR, """
A version that exists at the base ref is edited in place only cosmetically (descriptions, metadata, examples).

Fails: ``web/Order_Completed/1-0.json`` exists at ``origin/main`` and its ``coupon`` property is removed
Passes: the same file's ``description`` is reworded; or the change goes into a new ``1-1.json``/``2-0.json``
""")

breaking_needs_major = _gate_rule("R702", "evolution.breaking_needs_major", Level.ERROR, """
A new MINOR version (SchemaVer: REVISION or ADDITION) holds only compatible changes from its predecessor.

Fails: ``1-1.json`` narrows ``total`` from ``["number", "null"]`` to ``"number"`` ("needs a new MAJOR version (2-0)")
Passes: ``1-1.json`` adds an optional ``coupon`` property to ``1-0``; or the narrowing ships as ``2-0.json``
""")

major_not_needed = _gate_rule("R703", "evolution.major_not_needed", Level.INFO, """
A new MAJOR version (SchemaVer: MODEL) whose changes are all compatible could have been a MINOR.

Fails: ``2-0.json`` only adds an optional property to ``1-1`` ("could be 1-2")
Passes: ``2-0.json`` removes a property of ``1-1``
""")

version_deleted = _gate_rule("R704", "evolution.version_deleted", Level.ERROR, """
A version file that exists at the base ref is not deleted (unless ``evolution.allow_deleted_versions``).

Fails: ``web/Order_Completed/1-0.json`` exists at ``origin/main`` and is deleted
Passes: the file stays; a successor ``2-0.json`` is added beside it
""")

change_listed = _gate_rule("R705", "evolution.change", Level.INFO, """
Every change of an edited or new version is listed with its classification (addition, breaking, cosmetic).

Fails (listed): ``1-1.json`` adds the optional property ``coupon`` ("addition: optional property 'coupon' added (since 1-0)")
Passes (nothing listed): no schema file changed since the base ref
""")

RULES = [published_edit, breaking_needs_major, major_not_needed, version_deleted, change_listed]
