"""Schema evolution: classify every change between two versions of an event schema, and gate them.

``classify(old, new)`` is pure and returns :class:`Change` items (JSON Pointer, kind, reason,
rule); the gate (``reflekt lint --base``) applies the versioning policy to them.
"""

from reflekt_core.evolution.change import Change, Kind, breaking, verdict
from reflekt_core.evolution.compare import classify
from reflekt_core.evolution.rules import RULES, ChangeRule

__all__ = ["RULES", "Change", "ChangeRule", "Kind", "breaking", "classify", "verdict"]
