"""Static Iglu repositories the world tests run on, and small readers for them.

The committed corpus (``tests/fixtures/world``) is always run. ``REFLEKT_WORLD_CORPUS`` adds
others: folders holding a static repository's ``schemas/`` (for example a checkout of Snowplow's
Iglu Central), separated by ``os.pathsep``. Their expected verdicts are unknown, so they are
held to the invariants only: nothing crashes, round trips are identical, the gate agrees with
the classifier.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import yaml

WORLD = Path(__file__).resolve().parents[1] / "fixtures" / "world"
COMMITTED = WORLD / "iglu"


def corpora() -> list[Path]:
    extra = [Path(p).expanduser().resolve() for p in os.environ.get("REFLEKT_WORLD_CORPUS", "").split(os.pathsep) if p]
    return [COMMITTED, *extra]


def corpus_id(path: Path) -> str:
    return "committed" if path == COMMITTED else path.name


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``schemas/`` by its path relative to the repository root."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "schemas").rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def jsonschema_files(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in files(root).items() if rel.count("/") == 4 and rel.split("/")[3] == "jsonschema"}


def project_path(rel: str) -> str:
    """``schemas/v/n/jsonschema/1-0-0`` -> ``v/n/1-0-0.json`` (the identity mapping)."""
    _, vendor, name, _, version = rel.split("/")
    return f"{vendor}/{name}/{version}.json"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-"))


def histories(root: Path) -> dict[tuple[str, str], list[tuple[str, dict]]]:
    """Each jsonschema family's versions in SchemaVer order, parsed."""
    found: dict[tuple[str, str], list[tuple[str, dict]]] = defaultdict(list)
    for rel, data in jsonschema_files(root).items():
        _, vendor, name, _, ver = rel.split("/")
        found[(vendor, name)].append((ver, json.loads(data.decode("utf-8-sig"))))
    return {key: sorted(items, key=lambda item: version(item[0])) for key, items in sorted(found.items())}


def expected_pairs() -> dict[str, str]:
    return yaml.safe_load((WORLD / "expected.yml").read_text(encoding="utf-8"))["pairs"]
