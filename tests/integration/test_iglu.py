"""Iglu registries end to end through the CLI: a static repository on disk, over HTTP and on
S3 (moto's server, behind a fault-injecting proxy), and Iglu Server (a contract-following fake)."""

from __future__ import annotations

import itertools
import json
import shutil
import time

import pytest

from tests.helpers import DEMO, make_iglu_project, make_project, schema_bytes
from tests.integration.iglu_corpus import SELF_DESC, generate_repository, repository_files
from tests.integration.iglu_fakes import Fault, IgluServerFake, Key, StaticSite, FaultProxy, moto_s3

_buckets = itertools.count()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    generate_repository(root, 500)
    return root


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 server and a fault proxy in front of it; yields (proxy, boto3 client to moto)."""
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto_s3() as url, FaultProxy(url) as proxy:
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        bucket = f"iglu-test-{next(_buckets)}"  # moto keeps its state per process: a fresh bucket each time
        client.create_bucket(Bucket=bucket)
        yield proxy, client, bucket


@pytest.fixture
def server():
    with IgluServerFake() as fake:
        yield fake


def _project(root, profiles: dict[str, dict]):
    return make_iglu_project(root, profiles, {"vendor": "com.acme"})


_local = schema_bytes


def _s3_files(client, bucket, prefix=""):
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}schemas/"):
        keys.extend(item["Key"] for item in page.get("Contents") or [])
    return {k[len(prefix):]: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def _server_docs(fake):
    return {"schemas/" + "/".join(k): fake.canonical(k) for k in fake.schemas}


@pytest.mark.slow
def test_pull_then_push_to_empty_repositories_of_each_kind_gives_identical_files(cli, tmp_path, corpus, s3, server):
    proxy, client, bucket = s3
    write_key = server.add_key(Key(create=True))
    (tmp_path / "out").mkdir()
    root = _project(tmp_path / "p", {
        "dev": {"uri": str(corpus)},
        "disk": {"uri": "../out"},
        "s3": {"uri": f"s3://{bucket}/mirror", "endpoint_url": proxy.url},
        "server": {"uri": server.url + "/api", "kind": "server", "api_key": write_key},
    })
    source = repository_files(corpus)
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 0, run.stderr
    pulled = _local(root)
    assert len(pulled) == len(source) >= 500
    for rel, data in source.items():  # the identity mapping, byte for byte
        vendor, name, _, version = rel.split("/")[1:]
        assert pulled[f"{vendor}/{name}/{version}.json"] == data

    for profile in ("disk", "s3", "server"):
        run = cli(["push", "--registry", "iglu", "--profile", profile], cwd=root)
        assert run.exit_code == 0, (profile, run.stderr)
        assert f"{len(source)} created, 0 updated, 0 unchanged" in run.stdout
    assert repository_files(tmp_path / "out") == source
    assert _s3_files(client, bucket, "mirror/") == source
    assert _server_docs(server) == {rel: json.loads(data) for rel, data in source.items()}

    # An unchanged push writes nothing, anywhere.
    puts_before = len(proxy.requests("PUT")), len(server.requests("PUT"))
    for profile in ("disk", "s3", "server"):
        run = cli(["push", "--registry", "iglu", "--profile", profile], cwd=root)
        assert run.exit_code == 0 and f"0 created, 0 updated, {len(source)} unchanged" in run.stdout, run.stderr
    assert (len(proxy.requests("PUT")), len(server.requests("PUT"))) == puts_before

    # And back: pulling from the server reproduces the content (the server keeps JSON, not bytes).
    fresh = _project(tmp_path / "fresh", {"dev": {"uri": server.url, "kind": "server", "api_key": write_key}})
    assert cli(["pull", "--registry", "iglu"], cwd=fresh).exit_code == 0
    assert {k: json.loads(v) for k, v in _local(fresh).items()} == {k: json.loads(v) for k, v in pulled.items()}


def test_pull_is_atomic_and_never_overwrites_local_changes(cli, tmp_path):
    repo = tmp_path / "repo"
    generate_repository(repo, 12)
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"}})
    assert cli(["pull", "--registry", "iglu", "--select", "com.acme"], cwd=root).exit_code == 0
    local = sorted((root / "schemas").rglob("*.json"))
    assert local and all(p.relative_to(root / "schemas").parts[0] == "com.acme" for p in local)
    changed = local[0]
    changed.write_text(changed.read_text().replace("Identifier", "Id"))
    before = _local(root)
    run = cli(["pull", "--registry", "iglu", "--select", "com.acme"], cwd=root)
    assert run.exit_code == 2 and "differ from the registry" in run.stderr and _local(root) == before
    run = cli(["pull", "--registry", "iglu", "--select", "com.acme", "--dry-run"], cwd=root)
    assert run.exit_code == 0 and "-    " in run.stdout and "Identifier" in run.stdout and _local(root) == before
    run = cli(["pull", "--registry", "iglu", "--select", "com.acme", "--force"], cwd=root)
    assert run.exit_code == 0 and "Identifier" in changed.read_text()


def test_pull_leaves_out_other_iglu_formats_with_a_note(cli, tmp_path, server):
    """Iglu Central keeps avro (JSON without self), thrift and protobuf schemas beside JSON Schema:
    a pull of everything reads the jsonschema ones and names the rest (it used to stop, exit 2)."""
    repo = tmp_path / "repo"
    generate_repository(repo, 3)
    for rel, text in {"com.acme/Config/avro/1-0-0": '{"type": "record", "name": "Config", "fields": []}',
                      "com.acme/Payload/thrift/1-0-0": "struct Payload { 1: string a }",
                      "com.acme/misnamed/jsonschema/1-0-0.json": "{}", "com.acme/stray.json": "{}",
                      "com.acme/README.md": "# docs are not reported"}.items():
        (repo / "schemas" / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / "schemas" / rel).write_text(text)
    write_key = server.add_key(Key(create=True))
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"},
                                     "server": {"uri": server.url, "kind": "server", "api_key": write_key}})
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 0, run.stderr
    assert "skipped 2 schema(s) of format avro, thrift (Reflekt reads jsonschema only)" in run.stdout + run.stderr
    # files no Iglu client would find are named, not dropped silently
    assert ("ignored 2 file(s) not at schemas/<vendor>/<name>/<format>/<MODEL-REVISION-ADDITION> (no Iglu client "
            "would find them): schemas/com.acme/misnamed/jsonschema/1-0-0.json, schemas/com.acme/stray.json"
            in " ".join((run.stdout + run.stderr).split()))
    assert len(_local(root)) == 3
    assert not (root / "schemas" / "com.acme" / "Config").exists()
    # Iglu Server lists every format too: the same holds there.
    server.schemas[("com.acme", "Config", "avro", "1-0-0")] = {
        "body": {"type": "record", "name": "Config", "fields": []}, "isPublic": False,
        "createdAt": "2026-11-25T12:00:00Z"}
    fresh = _project(tmp_path / "fresh", {"dev": {"uri": server.url, "kind": "server", "api_key": write_key}})
    assert cli(["push", "--registry", "iglu", "--profile", "server"], cwd=root).exit_code == 0
    run = cli(["pull", "--registry", "iglu"], cwd=fresh)
    assert run.exit_code == 0 and "skipped 1 schema(s) of format avro" in run.stdout + run.stderr, run.stderr
    assert len(_local(fresh)) == 3


def test_push_refuses_to_change_a_published_version(cli, tmp_path, server):
    repo, out = tmp_path / "repo", tmp_path / "out"
    generate_repository(repo, 5)
    out.mkdir()
    key = server.add_key(Key(create=True))
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"}, "disk": {"uri": "../out"},
                                     "server": {"uri": server.url, "kind": "server", "api_key": key}})
    assert cli(["pull", "--registry", "iglu"], cwd=root).exit_code == 0
    for profile in ("disk", "server"):
        assert cli(["push", "--registry", "iglu", "--profile", profile], cwd=root).exit_code == 0
    target = next((root / "schemas").rglob("1-0-0.json"))
    target.write_text(target.read_text().replace("A human label.", "A label."))
    new = target.with_name("1-0-1.json")  # a new version is fine, and is what the error suggests
    before_out, before_server = repository_files(out), dict(server.schemas)
    for profile in ("disk", "server"):
        run = cli(["push", "--registry", "iglu", "--profile", profile], cwd=root)
        assert run.exit_code == 2, run.stdout
        assert "already exist" in run.stderr and "immutable" in run.stderr and "nothing was pushed" in run.stderr
    assert repository_files(out) == before_out and server.schemas == before_server
    assert not new.exists()


def test_push_dry_run_shows_a_diff_and_writes_nothing(cli, tmp_path):
    repo, out = tmp_path / "repo", tmp_path / "out"
    generate_repository(repo, 3)
    out.mkdir()
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"}, "disk": {"uri": "../out"}})
    assert cli(["pull", "--registry", "iglu"], cwd=root).exit_code == 0
    run = cli(["push", "--registry", "iglu", "--profile", "disk", "--dry-run"], cwd=root)
    assert run.exit_code == 0 and "+++ b/schemas/com.acme/" in run.stdout and "Dry run" in run.stdout
    assert not (out / "schemas").exists()


def test_only_self_describing_schemas_in_their_vendor_folder_are_pushed(cli, tmp_path):
    (tmp_path / "out").mkdir()
    root = _project(tmp_path / "p", {"dev": {"uri": "../out"}})
    make_project(root, {"web/Order_Completed/1-0.json": {}}, {"vendor": "com.acme"}, meta=False)
    run = cli(["push", "--registry", "iglu", "--select", "web"], cwd=root)
    assert run.exit_code == 2 and "not a self-describing Iglu schema" in run.stderr
    doc = {"$schema": SELF_DESC, "description": "x", "type": "object", "properties": {},
           "self": {"vendor": "com.other", "name": "thing", "format": "jsonschema", "version": "1-0-0"}}
    (root / "schemas/com.acme/thing").mkdir(parents=True)
    (root / "schemas/com.acme/thing/1-0-0.json").write_text(json.dumps(doc))
    run = cli(["push", "--registry", "iglu", "--select", "com.acme"], cwd=root)
    assert run.exit_code == 2 and "belongs in schemas/com.other/thing/1-0-0.json" in run.stderr
    assert not (tmp_path / "out" / "schemas").exists()


def test_static_repository_over_http_is_read_by_key_and_read_only(cli, tmp_path):
    repo = tmp_path / "repo"
    generate_repository(repo, 12)
    family = sorted((repo / "schemas/com.acme").iterdir())[-1]  # one with several versions
    versions = sorted(p.name for p in (family / "jsonschema").iterdir())
    with StaticSite(repo) as site:
        root = _project(tmp_path / "p", {"dev": {"uri": site.url}})
        run = cli(["pull", "--registry", "iglu", "--select", f"com.acme/{family.name}"], cwd=root)
        assert run.exit_code == 0, run.stderr
        got = sorted(p.name[: -len(".json")] for p in (root / "schemas/com.acme" / family.name).iterdir())
        assert got == versions
        assert (root / f"schemas/com.acme/{family.name}/1-0-0.json").read_bytes() == \
            (family / "jsonschema/1-0-0").read_bytes()
        run = cli(["pull", "--registry", "iglu", "--select", "com.acme"], cwd=root)
        assert run.exit_code == 2 and "cannot be listed over HTTP" in run.stderr
        run = cli(["push", "--registry", "iglu"], cwd=root)
        assert run.exit_code == 2 and "read-only" in run.stderr
        run = cli(["pull", "--registry", "iglu", "--select", "com.acme/no_such_event"], cwd=root)
        assert run.exit_code == 2 and "no schema matching" in run.stderr


# --- faults --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", [Fault("503", times=3), Fault("500", times=2), Fault("drop", times=2)],
                         ids=["503-slowdown", "500-burst", "dropped-connection"])
def test_s3_transient_faults_are_retried(cli, tmp_path, s3, fault):
    proxy, client, bucket = s3
    repo = tmp_path / "repo"
    generate_repository(repo, 8)
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"},
                                     "s3": {"uri": f"s3://{bucket}", "endpoint_url": proxy.url}})
    assert cli(["pull", "--registry", "iglu"], cwd=root).exit_code == 0
    fault.method = "PUT"
    proxy.faults.append(fault)
    run = cli(["push", "--registry", "iglu", "--profile", "s3"], cwd=root)
    assert run.exit_code == 0, run.stderr
    assert fault.times == 0 and _s3_files(client, bucket) == repository_files(repo)
    fresh = _project(tmp_path / "fresh", {"dev": {"uri": f"s3://{bucket}", "endpoint_url": proxy.url}})
    proxy.faults.append(Fault(fault.kind, times=2, method="GET"))
    assert cli(["pull", "--registry", "iglu"], cwd=fresh).exit_code == 0
    assert _local(fresh) == _local(root)


@pytest.mark.parametrize("fault,message", [
    (Fault("500", times=100), "S3: reading"),
    (Fault("slow", times=100, seconds=1.5), "timed out"),
], ids=["persistent-500", "slow"])
def test_s3_persistent_faults_end_in_one_clear_line_and_no_local_change(cli, tmp_path, s3, fault, message):
    proxy, client, bucket = s3
    client.put_object(Bucket=bucket, Key="schemas/com.acme/x/jsonschema/1-0-0", Body=json.dumps(
        {"$schema": SELF_DESC, "self": {"vendor": "com.acme", "name": "x", "format": "jsonschema",
                                        "version": "1-0-0"}, "type": "object"}).encode())
    root = _project(tmp_path / "p", {"dev": {"uri": f"s3://{bucket}", "endpoint_url": proxy.url,
                                             "timeout": 0.5, "retries": 1}})
    fault.path = "/jsonschema/"
    proxy.faults.append(fault)
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "testing" not in run.stderr, run.stderr
    assert _local(root) == {}


@pytest.mark.parametrize("fault", [Fault("429", times=2), Fault("500", times=3), Fault("drop", times=2)],
                         ids=["429-retry-after", "500-burst", "dropped-connection"])
def test_iglu_server_transient_faults_are_retried(cli, tmp_path, server, fault):
    repo = tmp_path / "repo"
    generate_repository(repo, 6)
    key = server.add_key(Key(create=True))
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"},
                                     "server": {"uri": server.url, "kind": "server", "api_key": key}})
    assert cli(["pull", "--registry", "iglu"], cwd=root).exit_code == 0
    fault.method = "PUT"
    server.faults.append(fault)
    started = time.monotonic()
    run = cli(["push", "--registry", "iglu", "--profile", "server"], cwd=root)
    assert run.exit_code == 0, run.stderr
    assert fault.times == 0 and len(server.schemas) == len(repository_files(repo))
    if fault.kind == "429":
        assert time.monotonic() - started >= 2  # Retry-After: 1, honoured


@pytest.mark.parametrize("fault,message", [
    (Fault("500", times=100), "failed with HTTP 500"),
    (Fault("slow", times=100, seconds=1.5), "timed out"),
], ids=["persistent-500", "slow"])
def test_iglu_server_persistent_faults_end_in_one_clear_line(cli, tmp_path, server, fault, message):
    key = server.add_key(Key(create=True))
    server.schemas[("com.acme", "x", "jsonschema", "1-0-0")] = {"body": {"type": "object"}, "isPublic": False,
                                                                "createdAt": "2026-11-25T12:00:00Z"}
    root = _project(tmp_path / "p", {"dev": {"uri": server.url, "kind": "server", "api_key": key,
                                             "timeout": 0.5, "retries": 1}})
    server.faults.append(fault)
    run = cli(["--verbose", "pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 2 and message in run.stderr and key not in run.stderr + run.stdout
    assert _local(root) == {}


def test_iglu_server_keys_and_permissions(cli, tmp_path, server):
    read_key = server.add_key(Key(vendor_prefix="com.acme", read=True, create=False))
    repo = tmp_path / "repo"
    generate_repository(repo, 3)
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"},
                                     "ro": {"uri": server.url, "kind": "server", "api_key": read_key},
                                     "bad": {"uri": server.url, "kind": "server",
                                             "api_key": "00000000-0000-4000-8000-000000000000"},
                                     "anon": {"uri": server.url, "kind": "server"}})
    assert cli(["pull", "--registry", "iglu", "--select", "com.acme"], cwd=root).exit_code == 0
    run = cli(["push", "--registry", "iglu", "--profile", "ro"], cwd=root)
    assert run.exit_code == 2 and "HTTP 403" in run.stderr and "not authorized" in run.stderr
    assert read_key not in run.stderr and not server.schemas
    run = cli(["pull", "--registry", "iglu", "--profile", "bad"], cwd=root)
    assert run.exit_code == 2 and "API key" in run.stderr and "0000-4000" not in run.stderr
    master = server.add_key(Key(master=True))
    _project(root, {"dev": {"uri": "../repo"}, "m": {"uri": server.url, "kind": "server", "api_key": master,
                                                      "public": True}})
    assert cli(["push", "--registry", "iglu", "--profile", "m"], cwd=root).exit_code == 0
    assert all(entry["isPublic"] for entry in server.schemas.values())
    _project(root, {"anon": {"uri": server.url, "kind": "server"}})
    fresh = _project(tmp_path / "anon", {"dev": {"uri": server.url, "kind": "server"}})
    assert cli(["pull", "--registry", "iglu"], cwd=fresh).exit_code == 0  # public schemas need no key
    assert len(_local(fresh)) == len(server.schemas)


def test_iglu_server_fake_follows_the_version_cursor(server):
    import requests

    key = server.add_key(Key(create=True))
    headers = {"apikey": key}

    def put(version, body=None):
        doc = {"$schema": SELF_DESC, "self": {"vendor": "com.acme", "name": "e", "format": "jsonschema",
                                              "version": version}, "type": "object", **(body or {})}
        return requests.put(f"{server.url}/api/schemas/com.acme/e/jsonschema/{version}", json=doc,
                            headers=headers, timeout=5)

    assert put("1-0-1").status_code == 409 and "Preceding SchemaVer" in put("1-0-1").json()["message"]
    assert put("1-0-0").status_code == 201
    assert put("1-0-0", {"description": "changed"}).json()["message"] == "Schema already exists"
    assert put("1-0-1").status_code == 201 and put("2-0-0").status_code == 201
    assert requests.get(f"{server.url}/api/schemas", headers={"apikey": "nope"}, timeout=5).status_code == 400
    listed = requests.get(f"{server.url}/api/schemas", headers=headers, timeout=5).json()
    assert listed == ["iglu:com.acme/e/jsonschema/1-0-0", "iglu:com.acme/e/jsonschema/1-0-1",
                      "iglu:com.acme/e/jsonschema/2-0-0"]


def test_the_demo_pulls_its_iglu_repository_offline(cli, tmp_path):
    demo = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, demo, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports", ".demo"))
    run = cli(["pull", "--registry", "iglu", "--dry-run"], cwd=demo)
    assert run.exit_code == 0 and "create    com.jaffle_shop/loyalty_signup/1-0-1.json" in run.stdout, run.stderr
    assert not (demo / "schemas/com.jaffle_shop").exists()
    run = cli(["pull", "--registry", "iglu"], cwd=demo)
    assert run.exit_code == 0, run.stderr
    shipped = repository_files(demo / "iglu")
    assert len(shipped) >= 4
    for rel, data in shipped.items():
        vendor, name, _, version = rel.split("/")[1:]
        assert (demo / f"schemas/{vendor}/{name}/{version}.json").read_bytes() == data
    again = cli(["pull", "--registry", "iglu"], cwd=demo)
    assert again.exit_code == 0 and again.stdout.count("unchanged") == len(shipped) + 1  # + the summary


def test_a_remote_key_that_would_leave_the_schemas_folder_is_refused(cli, tmp_path, server):
    server.schemas[("..", "passwd", "jsonschema", "1-0-0")] = {"body": {"type": "object"}, "isPublic": True,
                                                               "createdAt": "2026-11-25T12:00:00Z"}
    root = _project(tmp_path / "p", {"dev": {"uri": server.url, "kind": "server"}})
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 2 and "not a valid Iglu vendor" in run.stderr
    assert not (tmp_path / "passwd").exists() and _local(root) == {}


def test_iglu_profile_entries_are_validated_and_keys_masked(cli, tmp_path, server):
    key = server.add_key(Key(create=True))
    root = _project(tmp_path / "p", {"dev": {"uri": server.url, "kind": "server", "api_key": key}})
    run = cli(["debug"], cwd=root)
    assert run.exit_code == 0 and "registry iglu" in run.stdout and key not in run.stdout + run.stderr
    _project(root, {"dev": {"uri": server.url, "kind": "servr"}})
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 2 and "kind" in run.stderr and "static, server" in run.stderr
    _project(root, {"dev": {"uri": "s3://"}})
    run = cli(["pull", "--registry", "iglu"], cwd=root)
    assert run.exit_code == 2 and "names no bucket" in run.stderr
