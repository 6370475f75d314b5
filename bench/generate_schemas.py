"""Generate a Reflekt project with N valid, lint-clean event schemas for benchmarks.

    python bench/generate_schemas.py 1000 bench/out/p1000

Each event has 12-20 properties (a nested object and an array of objects among
them), metadata, constraints, and every third event has a second version.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

WORDS = ("order cart product checkout page account coupon payment shipment review wishlist search "
         "store promotion subscription invoice refund signup login banner video article").split()
VERBS = "viewed added removed completed started clicked updated shared applied cancelled".split()
PROPS = ("name price quantity category brand variant position currency value revenue discount "
         "coupon step label source medium campaign content term url path title referrer").split()


def event_names(count: int) -> list[str]:
    rng = random.Random(7)
    names, seen = [], set()
    while len(names) < count:
        words = rng.sample(WORDS, rng.choice((1, 2, 3))) + [rng.choice(VERBS)]
        name = " ".join(w.capitalize() for w in words)
        key = name.lower().replace(" ", "")
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def make_schema(name: str, version: str, rng: random.Random) -> dict:
    props: dict = {}
    for prop in rng.sample(PROPS, rng.randint(10, 16)):
        kind = rng.choice(("string", "integer", "number", "boolean"))
        node: dict = {"type": kind, "description": f"The {prop.replace('_', ' ')} of the {name.lower()}."}
        if kind == "string" and rng.random() < 0.3:
            node["maxLength"] = 255
        if kind in ("integer", "number"):
            node["minimum"] = 0
        props[prop] = node
    props["product"] = {"type": "object", "description": "The product.", "properties": {
        "sku": {"type": "string", "description": "Stock keeping unit."},
        "brand": {"type": "string", "description": "Brand name."}}, "required": ["sku"]}
    props["items"] = {"type": "array", "description": "Line items.", "items": {
        "type": "object", "properties": {
            "item_id": {"type": "string", "description": "Item id."},
            "amount": {"type": "number", "description": "Item amount.", "minimum": 0}}}}
    folder = name.replace(" ", "_")
    return {
        "$id": f"bench/{folder}/{version}.json",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "description": f"Fires when a user {name.lower()}.",
        "self": {"vendor": "com.bench", "name": name, "format": "jsonschema", "version": version,
                 "metadata": {"code_owner": "bench-team", "product_owner": "pm@bench.example"}},
        "type": "object", "properties": props, "required": sorted(props)[:3],
        "additionalProperties": False,
    }


def generate(count: int, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "reflekt_core.cli", "init", "--dir", str(dest), "--no-input",
                    "--name", "bench", "--vendor", "com.bench"], check=True, capture_output=True, cwd=root)
    rng = random.Random(11)
    written = 0
    for index, name in enumerate(event_names(count)):
        versions = ["1-0", "1-1"] if index % 3 == 0 else ["1-0"]
        for version in versions:
            if written == count:
                break
            path = dest / "schemas" / "bench" / name.replace(" ", "_") / f"{version}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(make_schema(name, version, rng), indent=2) + "\n")
            written += 1
        if written == count:
            break


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("count", type=int, help="number of schemas to generate")
    parser.add_argument("project", type=Path, help="project folder to write")
    args = parser.parse_args()
    generate(args.count, args.project)
