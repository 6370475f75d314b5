"""A generated static Iglu repository: many vendors, SchemaVer up to 3-2-1, nested objects,
``$ref`` to ``definitions``, and several file formattings (so byte-identity is really tested).

Used by the Iglu tests and by ``bench/iglu_lint_bench.py``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SELF_DESC = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"
VENDORS = ["com.acme", "com.acme.mobile", "io.example-shop", "org.sample_co", "com.snowplowanalytics.demo"]
#: Contiguous SchemaVer histories, from one version to the full 1-0-0 ... 3-2-1.
HISTORIES = [
    ["1-0-0"],
    ["1-0-0", "1-0-1"],
    ["1-0-0", "1-1-0", "1-1-1"],
    ["1-0-0", "1-0-1", "1-0-2", "2-0-0"],
    ["1-0-0", "1-0-1", "1-1-0", "2-0-0", "2-1-0", "2-1-1", "3-0-0", "3-1-0", "3-2-0", "3-2-1"],
]
WORDS = ["link", "click", "cart", "order", "screen", "view", "search", "media", "play", "form", "submit",
         "consent", "session", "error", "share", "rating", "invite", "upload", "login", "signup"]


def _schema(rng: random.Random, vendor: str, name: str, version: str) -> dict:
    model, revision, addition = (int(p) for p in version.split("-"))
    props: dict = {
        "id": {"type": "string", "format": "uuid", "description": "Identifier of the thing — «unique»."},
        "label": {"type": ["string", "null"], "maxLength": 255, "description": "A human label."},
        "amount": {"type": "number", "minimum": 0, "maximum": 1000000, "description": "Amount in EUR."},
        "context": {"type": "object", "description": "Where it happened.", "properties": {
            "page": {"type": "string", "maxLength": 4096, "description": "The page URL path."},
            "position": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000,
                         "description": "Position in a list."},
            "device": {"$ref": "#/definitions/device"},
        }, "required": ["page"], "additionalProperties": False},
        "items": {"type": ["array", "null"], "description": "Items involved.", "maxItems": 100,
                  "items": {"$ref": "#/definitions/item"}},
    }
    for extra in range(addition + revision):
        props[f"extra_{extra}"] = {"type": ["string", "null"], "maxLength": 64 * (extra + 1),
                                   "description": f"Added in a later version ({extra})."}
    if model > 1:
        props["status"] = {"enum": ["ok", "failed", "pending"][: model], "description": "Outcome."}
    return {
        "$schema": SELF_DESC,
        "description": f"Schema for a {name.replace('_', ' ')} event ({vendor})",
        "self": {"vendor": vendor, "name": name, "format": "jsonschema", "version": version},
        "type": "object",
        "definitions": {
            "device": {"type": "object", "description": "The device.", "properties": {
                "os": {"type": "string", "enum": ["ios", "android", "web"], "description": "Operating system."},
                "model": {"type": ["string", "null"], "maxLength": 128, "description": "Device model."}},
                "required": ["os"], "additionalProperties": False},
            "item": {"type": "object", "description": "One item.", "properties": {
                "sku": {"type": "string", "maxLength": 64, "description": "Stock keeping unit."},
                "quantity": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "How many."}},
                "required": ["sku", "quantity"], "additionalProperties": False},
        },
        "properties": props,
        "required": ["id", "context"] if rng.random() < 0.7 else ["id"],
        "additionalProperties": model == 1 and rng.random() < 0.5,
    }


def _render(rng: random.Random, doc: dict) -> str:
    style = rng.randrange(4)
    if style == 0:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if style == 1:
        return json.dumps(doc, indent=4, ensure_ascii=True)            # no final newline, \u escapes
    if style == 2:
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(doc, indent="\t", ensure_ascii=False).replace("\n", "\r\n") + "\r\n"


def generate_repository(root: Path, minimum: int = 500, seed: int = 14) -> list[str]:
    """Write a static repository under ``root/schemas``; returns the repository-relative paths."""
    rng = random.Random(seed)
    written: list[str] = []
    index = 0
    while len(written) < minimum:
        vendor = VENDORS[index % len(VENDORS)]
        name = f"{WORDS[index % len(WORDS)]}_{WORDS[(index * 7 + 3) % len(WORDS)]}_{index}"
        for version in HISTORIES[index % len(HISTORIES)]:
            rel = f"schemas/{vendor}/{name}/jsonschema/{version}"
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_render(rng, _schema(rng, vendor, name, version)).encode("utf-8"))
            written.append(rel)
        index += 1
    return written


def repository_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root/schemas``, by repository-relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "schemas").rglob("*"))
            if p.is_file()}
