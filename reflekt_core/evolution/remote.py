"""The classification against a registry's current content, for ``reflekt push`` (and its dry run).

Segment keeps one rule per event and MAJOR version, so the highest local MINOR of a MAJOR is
compared with that rule: a breaking change under an existing MAJOR is refused (it would break
every source validating against it). Iglu versions are immutable: any change to a published
version is refused. Avo keeps no versions, so nothing is compared there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reflekt_core.errors import RegistryError, ReflektError
from reflekt_core.evolution import versions as v
from reflekt_core.evolution.change import Change, Kind, verdict
from reflekt_core.evolution.compare import classify

#: Registry name -> how its versions are matched with local files.
POLICIES = {"segment": "major", "iglu": "immutable"}


@dataclass
class RemoteComparison:
    local: str                    # the local file, relative to schemas/
    remote: str                   # what the registry holds, as a path under schemas/
    registry: str
    policy: str
    changes: list[Change] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict(self.changes)

    @property
    def refused(self) -> bool:
        if self.policy == "immutable":
            return any(c.kind is not Kind.COSMETIC for c in self.changes)
        return self.verdict == Kind.BREAKING.value

    def describe(self) -> str:
        version = v.version_of(self.remote)
        held = (f"{self.registry} version {version[0]}" if self.policy == "major" and version
                else f"{self.registry} {self.remote}")
        text = f"schemas/{self.local} against {held}: {self.verdict}"
        if self.refused:
            text += (" - refused: a breaking change needs a new MAJOR version"
                     f" ({v.text(v.raise_part(version, 0))})" if self.policy == "major" and version else
                     " - refused: published Iglu versions are immutable; publish a new version"
                     + (f" ({v.text(self.next_version)})" if self.next_version else ""))
        return text

    @property
    def next_version(self) -> tuple[int, ...] | None:
        """The version to publish the change as: a new MODEL/MAJOR when it breaks, else the next
        ADDITION/MINOR (as far as the version alone tells; a taken one is the registry's to refuse)."""
        version = v.version_of(self.remote)
        if not version:
            return None
        return v.raise_part(version, 0 if self.verdict == Kind.BREAKING.value else len(version) - 1)


def refusal_hint(comparisons: list[RemoteComparison]) -> str:
    """What to do about refused comparisons, in the terms of their registry."""
    refused = [c for c in comparisons if c.refused]
    if refused and all(c.policy == "immutable" for c in refused):
        versions = [f"{c.local.rsplit('/', 1)[0]}/{v.text(c.next_version)}" for c in refused if c.next_version]
        return ("published Iglu versions are immutable: publish each change as a new version, a new MODEL "
                "when it breaks" + (f" (here: {', '.join(versions[:3])}{' ...' if len(versions) > 3 else ''})"
                                   if versions else "") + "; nothing was pushed")
    return "publish a new MAJOR version, or push with --allow-breaking if every dependant is ready; nothing was pushed"


class PushRefused(ReflektError):
    """A push would change what an existing registry version accepts; nothing was pushed."""

    def __init__(self, comparisons: list[RemoteComparison], dry_run: bool = False):
        refused = [c for c in comparisons if c.refused]
        what = ("change a published version" if refused and all(c.policy == "immutable" for c in refused)
                else "change an existing registry version incompatibly")
        super().__init__(f"{'the push would be refused' if dry_run else 'push refused'}: {len(refused)} "
                         f"schema(s) {what}: {', '.join('schemas/' + c.local for c in refused)}",
                         hint=refusal_hint(comparisons))
        self.comparisons = comparisons


def compare_with_remote(schemas, remote, registry: str) -> list[RemoteComparison]:
    """Pair local schemas with the registry's versions and classify each pair (pure)."""
    policy = POLICIES.get(registry)
    if policy is None:
        return []
    held = {r.rel_path: r for r in remote}
    pairs: dict[str, tuple[object, object]] = {}
    if policy == "major":
        highest: dict[tuple[str, int], object] = {}
        for schema in schemas:
            version = v.version_of(schema.rel_path)
            if version and len(version) == 2:
                key = (schema.event_dir, version[0])
                if key not in highest or v.version_of(highest[key].rel_path) < version:
                    highest[key] = schema
        for (folder, major), schema in highest.items():
            counterpart = held.get(f"{folder}/{major}-0.json")
            if counterpart is not None:
                pairs[schema.rel_path] = (schema, counterpart)
    else:
        for schema in schemas:
            if schema.rel_path in held:
                pairs[schema.rel_path] = (schema, held[schema.rel_path])
    return [RemoteComparison(local, theirs.rel_path, registry, policy, classify(theirs.doc, mine.doc))
            for local, (mine, theirs) in sorted(pairs.items())]


def check_push(registry, select: str, schemas: Sequence) -> list[RemoteComparison]:
    """Read the registry's current content for ``select`` and classify the local schemas against it."""
    if POLICIES.get(getattr(registry, "name", "")) is None:
        return []
    from reflekt_core.schemas.select import normalise_selector

    if POLICIES[registry.name] == "major":  # Segment holds MAJOR versions only: pull the whole event
        select = "/".join(normalise_selector(select).split("/")[:2])
    try:
        pulled = registry.pull(select)
    except RegistryError as exc:
        if exc.status == 404:  # no such plan or event yet: everything is new
            return []
        raise
    return compare_with_remote(schemas, pulled.schemas, registry.name)
