"""Issue 9 §3 (non-network) and §4: hostile input gives one clear line (or a warning), never a
traceback, never a hang, and never touches a user file."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import yaml

from tests.adversarial.harness import assert_no_traceback, assert_unchanged, refused, run_cli, snapshot
from tests.helpers import base_schema

REL = "web/Order_Completed/1-0.json"
FILE = f"schemas/{REL}"
BASE = json.dumps(base_schema(REL))


def _with(**changes) -> str:
    return json.dumps({**base_schema(REL), **changes})


def _self(**changes) -> str:
    doc = base_schema(REL)
    doc["self"] = {**doc["self"], **changes}
    return json.dumps(doc)


BIG = "9" * 5000

# Files that cannot be loaded: exit 2, one line naming the file and the problem.
UNLOADABLE = [
    ("int-5000-digits", BASE[:-1] + f', "maximum": {BIG}}}', ["invalid JSON number", "4,300 digits"]),
    ("int-5000-digits-nested", _with(properties={"a": {"type": "integer", "description": "d", "enum": [0]}}).replace(
        '"enum": [0]', f'"enum": [{BIG}]'), ["4,300 digits"]),
    ("nan", BASE[:-1] + ', "maximum": NaN}', ["NaN"]),
    ("infinity", BASE[:-1] + ', "minimum": -Infinity}', ["Infinity"]),
    ("float-out-of-range", BASE[:-1] + ', "maximum": 1e400}', ["out of range"]),
    ("lone-surrogate-description", BASE.replace('"Fires when', '"\\ud800 Fires when'), ["\\ud800", "/description"]),
    ("lone-low-surrogate", BASE.replace('"Fires when', '"\\udfff'), ["\\udfff"]),
    ("lone-surrogate-key", _with(properties={"x": {"type": "string", "description": "d"}}).replace('"x"', '"\\ud83d"'),
     ["surrogate", "/properties/"]),
    ("lone-surrogate-enum", _with(properties={"a": {"type": "string", "description": "d", "enum": ["SUR"]}}).replace(
        "SUR", "\\udc00"), ["/properties/a/enum/0"]),
    ("lone-surrogate-metadata", _self(metadata={"owner": "SUR"}).replace("SUR", "\\ud800"), ["/self/metadata/owner"]),
    ("nested-100k", '{"a":' * 100_000 + "1" + "}" * 100_000, ["nested too deeply"]),
    ("not-utf8", None, ["not UTF-8"]),
    ("empty-file", "", ["invalid JSON"]),
    ("top-level-list", "[1, 2]", ["expected a JSON object"]),
    ("top-level-string", '"x"', ["expected a JSON object"]),
    ("top-level-null", "null", ["expected a JSON object"]),
    ("self-missing", json.dumps({"type": "object"}), ["missing the 'self' block"]),
    ("self-list", _with(self=[1]), ["'self' must be an object"]),
    ("self-name-int", _self(name=5), ["self.name"]),
    ("self-version-dotted", _self(version="1.0"), ["not MAJOR-MINOR"]),
    ("id-escapes", _with(**{"$id": "../../etc/passwd"}), ["leaves the schemas folder"]),
    ("id-absolute", _with(**{"$id": "/etc/passwd"}), ["leaves the schemas folder"]),
    ("id-int", _with(**{"$id": 5}), ["'$id' must be a string"]),
    ("trailing-garbage", BASE + "}", ["invalid JSON"]),
]


_COMMANDS = {"lint": ["lint"], "report": ["report"], "build": ["build", "--catalog", "catalog.json", "--dry-run"]}
#: Every case through lint; the ones that used to crash other commands through those too.
_ALSO = {"int-5000-digits": ("report", "build"), "lone-surrogate-description": ("report", "build"),
         "nan": ("build",), "top-level-list": ("build",)}


@pytest.mark.parametrize(("case", "text", "words", "command"),
                         [(*c, _COMMANDS[cmd]) for c in UNLOADABLE for cmd in ("lint", *_ALSO.get(c[0], ()))],
                         ids=[f"{c[0]}-{cmd}" for c in UNLOADABLE for cmd in ("lint", *_ALSO.get(c[0], ()))])
def test_unloadable_schema(project, case, text, words, command):
    path = project / FILE
    path.write_bytes(b'{"self": "\xff\xfe"}' if text is None else text.encode("utf-8"))
    refused(command, project, [FILE, *words], timeout=30)


# Loadable but wrong: lint reports violations (exit 1); report and build never crash.
WRONG_SHAPES = [
    ("type-5", _with(type=5)),
    ("property-type-5", _with(properties={"a": {"type": 5, "description": "d"}})),
    ("type-list-of-ints", _with(properties={"a": {"type": [1, 2], "description": "d"}})),
    ("properties-array", _with(properties=[1, 2])),
    ("properties-string", _with(properties="abc")),
    ("property-is-string", _with(properties={"a": "string"})),
    ("property-is-null", _with(properties={"a": None})),
    ("metadata-list", _self(metadata=[1, 2])),
    ("metadata-string", _self(metadata="owner")),
    ("required-string", _with(required="order_id")),
    ("required-ints", _with(required=[1, 2])),
    ("items-string", _with(properties={"a": {"type": "array", "items": "x", "description": "d"}})),
    ("enum-string", _with(properties={"a": {"type": "string", "enum": "x", "description": "d"}})),
    ("anyof-string", _with(properties={"a": {"anyOf": "x", "description": "d"}})),
    ("description-int", _with(description=5)),
    ("pattern-invalid-regex", _with(properties={"a": {"type": "string", "pattern": "(", "description": "d"}})),
    ("additional-properties-string", _with(additionalProperties="no")),
    ("remote-ref", _with(properties={"a": {"$ref": "https://evil.example/a.json", "description": "d"}})),
    ("file-ref", _with(properties={"a": {"$ref": "file:///etc/passwd", "description": "d"}})),
]


@pytest.mark.parametrize(("case", "text"), WRONG_SHAPES, ids=[c[0] for c in WRONG_SHAPES])
def test_wrong_shapes_are_violations_not_crashes(project, case, text):
    (project / FILE).write_text(text)
    before = snapshot(project)
    outcome = run_cli(["lint", "--select", REL], project)
    assert outcome.code == 1, (outcome.stdout, outcome.stderr)
    assert_no_traceback(outcome)
    assert "Order_Completed/1-0.json" in outcome.stdout
    assert_unchanged(before, project)
    for command in (["report", "--select", REL], ["build", "--catalog", "catalog.json", "--dry-run"]):
        outcome = run_cli(command, project)
        assert outcome.code in (0, 1), (command, outcome.stderr)
        assert_no_traceback(outcome)
    assert_unchanged(before, project)


# --- special files under schemas/ -------------------------------------------------------------

def _fifo(root: Path) -> str:
    os.mkfifo(root / "schemas/web/Order_Completed/1-2.json")
    return "1-2.json"


def _socket(root: Path) -> str:
    short = Path("/tmp") / f"rk-{os.getpid()}-{id(root)}.sock"  # AF_UNIX paths are limited to ~107 bytes
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(short))
    server.close()
    os.rename(short, root / "schemas/web/Order_Completed/2-0.json")
    return "2-0.json"


def _device(root: Path) -> str:
    (root / "schemas/web/Order_Completed/2-0.json").symlink_to("/dev/zero")
    return "2-0.json"


def _loop(root: Path) -> str:
    (root / "schemas/web/loop").symlink_to(root / "schemas/web")
    return "schemas/web/loop"


def _folder_named_json(root: Path) -> str:
    (root / "schemas/web/Order_Completed/1-2.json").mkdir()
    return "1-2.json"


SPECIAL = [("fifo", _fifo, "FIFO"), ("socket", _socket, "socket"), ("device", _device, "device"),
           ("symlink-loop", _loop, "symbolic link loop"), ("folder-named-1-2.json", _folder_named_json, "is a folder")]


@pytest.mark.parametrize(("case", "setup", "word"), SPECIAL, ids=[c[0] for c in SPECIAL])
@pytest.mark.parametrize("command", [["lint"], ["report"], ["debug", "--skip-connections"]],
                         ids=["lint", "report", "debug"])
def test_special_entries_are_skipped_with_a_warning(project, case, setup, word, command):
    name = setup(project)
    before = snapshot(project)
    outcome = run_cli(command, project, timeout=30)
    assert_no_traceback(outcome)
    if command[0] == "debug":  # the project has no profiles file: only the schemas check matters here
        assert "ok     schemas" in outcome.stdout, outcome.stdout
    else:
        assert outcome.code == 0, (outcome.stdout, outcome.stderr)
        warning = [line for line in outcome.stderr.splitlines() if "WARNING" in line]
        assert warning and name in warning[0] and word in outcome.stderr, outcome.stderr
    assert_unchanged(before, project)


@pytest.mark.parametrize("case", ["self-loop", "dangling"])
def test_broken_schema_links_are_one_line(project, case):
    link = project / "schemas/web/Order_Completed/2-0.json"
    link.symlink_to(link if case == "self-loop" else project / "gone.json")
    refused(["lint"], project, ["Order_Completed/2-0.json", "cannot read file"])


# --- configuration files ----------------------------------------------------------------------

BOMB = "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
               for p, n in zip([None, "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi"))


@pytest.mark.parametrize(("case", "file", "command"), [
    ("project-bomb", "reflekt_project.yml", ["lint"]),
    ("project-bomb-debug", "reflekt_project.yml", ["debug", "--skip-connections"]),
    ("profiles-bomb", "reflekt_profiles.yml", ["catalog", "--source", "wh.warehouse.segment"]),
    ("profiles-recursive", "reflekt_profiles.yml", ["catalog", "--source", "wh.warehouse.segment"]),
])
def test_yaml_alias_bomb_is_refused_within_a_second(project, case, file, command):
    path = project / file
    text = path.read_text() if path.exists() else "dev:\n  source: []\n"
    path.write_text(text + ("r: &r [*r]\n" if case.endswith("recursive") else BOMB))
    outcome = refused(command, project, [file], timeout=20)
    assert "alias" in outcome.stderr
    assert outcome.seconds < 8  # the process itself starts in about a second on a loaded machine


# --- options ----------------------------------------------------------------------------------

OPTION_CASES = [
    ("select-empty", ["lint", "--select", ""], ["--select is empty"]),
    ("select-blank", ["lint", "--select", "  "], ["--select is empty"]),
    ("exclude-empty", ["lint", "--exclude", ""], ["--exclude is empty"]),
    ("select-empty-build", ["build", "--catalog", "catalog.json", "--select", ""], ["--select is empty"]),
    ("select-empty-report", ["report", "--select", ""], ["--select is empty"]),
    ("source-four-parts", ["catalog", "--source", "a.b.c.d"], ["source_id.database.schema"]),
    ("source-four-parts-build", ["build", "--source", "a.b.c.d"], ["source_id.database.schema"]),
    ("source-two-parts", ["catalog", "--source", "a.b"], ["source_id.database.schema"]),
    ("source-dots", ["catalog", "--source", ".."], ["source_id.database.schema"]),
    ("source-empty", ["catalog", "--source", ""], ["source_id.database.schema"]),
]


@pytest.mark.parametrize(("case", "args", "words"), OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_bad_options(project, case, args, words):
    refused(args, project, words)


def _catalog(project: Path, mutate) -> None:
    data = json.loads((project / "catalog.json").read_text())
    mutate(data)
    (project / "catalog.json").write_text(json.dumps(data))


CATALOG_CASES = [
    ("tables-list", lambda d: d["catalogs"][0].__setitem__("tables", [1, 2]), ["tables must be an object"]),
    ("catalogs-string", lambda d: d.__setitem__("catalogs", "x"), ["'catalogs' must be a list"]),
    ("catalog-null", lambda d: d["catalogs"].__setitem__(0, None), ["catalogs[0] must be an object"]),
    ("columns-object", lambda d: d["catalogs"][0]["tables"].__setitem__("tracks", {}), ["tracks must be a list"]),
    ("column-name-int", lambda d: d["catalogs"][0]["tables"]["tracks"][0].__setitem__("name", 5), ["name must be"]),
    ("position-bool", lambda d: d["catalogs"][0]["tables"]["tracks"][0].__setitem__("position", True),
     ["position must be"]),
    ("schema-missing", lambda d: d["catalogs"][0].pop("schema"), ["schema must be a string"]),
    ("wrong-version", lambda d: d.__setitem__("reflekt_catalog_version", 99), ["not a Reflekt catalog"]),
]


@pytest.mark.parametrize(("case", "mutate", "words"), CATALOG_CASES, ids=[c[0] for c in CATALOG_CASES])
def test_bad_catalog_files(project, case, mutate, words):
    _catalog(project, mutate)
    refused(["build", "--catalog", "catalog.json"], project, ["catalog.json", *words])


def test_catalog_file_that_is_a_fifo(project):
    os.mkfifo(project / "pipe.json")
    refused(["build", "--catalog", "pipe.json"], project, ["not a regular file"], timeout=20)


def test_catalog_file_with_a_huge_integer(project):
    (project / "catalog.json").write_text('{"reflekt_catalog_version": ' + BIG + "}")
    refused(["build", "--catalog", "catalog.json"], project, ["catalog"])


# --- connections: host, port and reason in words; no driver tracebacks; no metadata probes --------

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("verbose", [[], ["--verbose"]], ids=["plain", "verbose"])
@pytest.mark.parametrize("kind", ["postgres", "snowflake"])
def test_connection_failure_says_host_port_and_reason(project, kind, verbose):
    port = _closed_port()
    entry = ({"id": "wh", "type": "postgres", "host": "127.0.0.1", "port": port, "user": "u", "password": "pw-secret",
              "connect_timeout": 2} if kind == "postgres" else
             {"id": "wh", "type": "snowflake", "account": "acme", "user": "u", "password": "pw-secret",
              "host": "127.0.0.1", "port": port, "protocol": "http", "connect_timeout": 2})
    (project / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [entry], "registry": []}}))
    before = snapshot(project)
    outcome = run_cli([*verbose, "catalog", "--source", "wh.analytics.segment"], project, timeout=60)
    line = [x for x in outcome.stderr.splitlines() if x.startswith("error:")]
    assert outcome.code == 2 and len(line) == 1, outcome.stderr
    assert f"127.0.0.1:{port}" in line[0] and "cannot reach the warehouse" in line[0]
    assert "pw-secret" not in outcome.stderr + outcome.stdout
    assert_no_traceback(outcome)
    assert "HTTPConnection(" not in outcome.stderr  # no urllib3 reprs
    assert_unchanged(before, project)
