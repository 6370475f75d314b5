"""What a Segment push must change: a pure diff of desired and remote rules, and its batches.

No HTTP here: ``plan_rule_changes(desired, remote, ...)`` decides, ``upsert_batches`` and
``delete_batches`` cut the writes to the API's limits, and ``SegmentRegistry`` only sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from reflekt_core.registries.segment_rules import comparable

Identity = tuple[str, "str | None", int]
MAX_RULES_PER_REQUEST = 200       # Segment Protocols FAQ: at most 200 rules per write
MAX_DELETE_ENTRIES = 20           # Node qs arrayLimit: more entries parse as an object
MAX_QUERY_BYTES = 7000            # keeps the DELETE request line under ~8 KB with the path


def rule_identity(rule: dict[str, Any]) -> Identity:
    from reflekt_core.registries.segment_rules import rule_version

    return rule["type"], rule.get("key"), rule_version(rule)


def label(identity: Identity) -> str:
    rule_type, key, version = identity
    return f"{rule_type} {key} v{version}" if key else f"{rule_type} v{version}"


@dataclass
class RuleChanges:
    """The writes a push needs, and what to report."""

    upserts: list[dict[str, Any]] = field(default_factory=list)   # PATCH (create or update)
    deletes: list[Identity] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return bool(self.upserts or self.deletes)


def plan_rule_changes(desired: dict[Identity, dict[str, Any]], remote: dict[Identity, dict[str, Any]], *,
                      whole_plan: bool, delete: bool) -> RuleChanges:
    """Compare what the files say with what the plan holds.

    ``delete``: remove the desired rules that exist remotely. Otherwise upsert what differs and,
    for a whole plan, remove remote rules no longer in the files, except the COMMON rule,
    which ``pull`` skips by default and which a push therefore never removes unasked.
    """
    changes = RuleChanges()
    if delete:
        changes.deletes = [i for i in desired if i in remote]
        changes.deleted = [label(i) for i in changes.deletes]
        changes.unchanged = [f"{label(i)} (not in Segment)" for i in desired if i not in remote]
        return changes
    for identity, rule in desired.items():
        if identity not in remote:
            changes.created.append(label(identity))
            changes.upserts.append(rule)
        elif comparable(remote[identity]) != comparable(rule):
            changes.updated.append(label(identity))
            changes.upserts.append(rule)
        else:
            changes.unchanged.append(label(identity))
    if whole_plan:
        for identity in remote:
            if identity in desired:
                continue
            if identity[0] == "COMMON":
                changes.notes.append(f"kept the plan's {label(identity)} rule: it is not in schemas/ "
                                     f"(pull --include-common to manage it)")
                continue
            changes.deletes.append(identity)
            changes.deleted.append(label(identity))
    return changes


def upsert_batches(rules: list[dict[str, Any]], size: int = MAX_RULES_PER_REQUEST) -> list[list[dict[str, Any]]]:
    return [rules[i:i + size] for i in range(0, len(rules), size)]


def delete_params(identities: list[Identity]) -> dict[str, Any]:
    """``RemoveRuleV1`` entries in the bracket query form ``rules[0][type]=TRACK&...``."""
    params: dict[str, Any] = {}
    for n, (rule_type, key, version) in enumerate(identities):
        params[f"rules[{n}][type]"] = rule_type
        if key is not None:
            params[f"rules[{n}][key]"] = key
        params[f"rules[{n}][version]"] = version
    return params


def delete_batches(identities: list[Identity], max_entries: int = MAX_DELETE_ENTRIES,
                   max_bytes: int = MAX_QUERY_BYTES) -> list[dict[str, Any]]:
    """Query parameters of each DELETE: at most ``max_entries`` rules and ``max_bytes`` of query."""
    batches: list[list[Identity]] = []
    current: list[Identity] = []
    for identity in identities:
        candidate = [*current, identity]
        if current and (len(candidate) > max_entries or len(urlencode(delete_params(candidate))) > max_bytes):
            batches.append(current)
            candidate = [identity]
        current = candidate
    if current:
        batches.append(current)
    return [delete_params(batch) for batch in batches]
