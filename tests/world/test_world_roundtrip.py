"""Pull a real-world-shaped static Iglu repository (on disk and over HTTP), push it into empty
repositories of each kind (a folder, S3, Iglu Server) and compare: byte for byte for the static
ones, JSON for the server. Files of other Iglu formats are left out by name, never silently."""

from __future__ import annotations

import json

import pytest

from tests.helpers import make_iglu_project, schema_bytes
from tests.integration.iglu_fakes import IgluServerFake, Key, StaticSite
from tests.world.corpus import COMMITTED, files, jsonschema_files, project_path


def _project(root, profiles):
    return make_iglu_project(root, profiles, {"vendor": "com.example", "schemas": {"versioning": "schemaver"}})


_local = schema_bytes


def _s3_files(client, bucket, prefix):
    keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents") or []]
    return {k[len(prefix):]: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


@pytest.mark.slow
def test_pull_then_push_to_each_kind_of_repository_is_identical(cli, tmp_path, corpus, s3):
    source = jsonschema_files(corpus)
    others = sorted(set(files(corpus)) - set(source))
    if corpus == COMMITTED:  # the corpus keeps its awkward cases: make sure they are still there
        assert len(source) >= 100 and len(others) == 5
        assert any(b"\r\n" in d for d in source.values()) and any(not d.endswith(b"\n") for d in source.values())
        assert any(b"\\u" in d for d in source.values()) and any("é".encode() in d for d in source.values())
    s3_url, client, new_bucket = s3
    bucket = new_bucket()
    with IgluServerFake() as server:
        key = server.add_key(Key(create=True))
        (tmp_path / "out").mkdir()
        root = _project(tmp_path / "p", {
            "dev": {"uri": str(corpus)},
            "disk": {"uri": "../out"},
            "s3": {"uri": f"s3://{bucket}/mirror", "endpoint_url": s3_url},
            "server": {"uri": server.url, "kind": "server", "api_key": key},
        })
        run = cli(["pull", "--registry", "iglu"], cwd=root)
        assert run.exit_code == 0, run.stderr
        if others:
            assert f"skipped {len(others)} schema(s) of format" in run.stdout + run.stderr
        pulled = _local(root)
        assert pulled == {project_path(rel): data for rel, data in source.items()}  # byte for byte

        # Reflekt lints what it pulled, in a schemaver project: identity rules agree with the Iglu layout.
        run = cli(["lint", "--select-rules", "identity,R502,R601", "--format", "json"], cwd=root)
        assert run.exit_code in (0, 1), run.stderr
        report = json.loads(run.stdout)
        assert report["summary"]["schemas"] == len(source)
        if corpus == COMMITTED:
            assert report["violations"] == [] and run.exit_code == 0

        for profile in ("disk", "s3", "server"):
            run = cli(["push", "--registry", "iglu", "--profile", profile], cwd=root)
            assert run.exit_code == 0, (profile, run.stderr)
            assert f"{len(source)} created, 0 updated, 0 unchanged" in run.stdout, run.stdout[-300:]
        assert files(tmp_path / "out") == source
        assert _s3_files(client, bucket, "mirror/") == source
        held = {"schemas/" + "/".join(k): server.canonical(k) for k in server.schemas}
        assert held == {rel: json.loads(data.decode("utf-8-sig")) for rel, data in source.items()}

        puts = len(server.requests("PUT"))
        for profile in ("disk", "s3", "server"):  # an unchanged push writes nothing
            run = cli(["push", "--registry", "iglu", "--profile", profile], cwd=root)
            assert run.exit_code == 0 and f"0 created, 0 updated, {len(source)} unchanged" in run.stdout, run.stderr
        assert len(server.requests("PUT")) == puts

        # Back from the server: the same JSON (the server keeps values, not bytes).
        fresh = _project(tmp_path / "fresh", {"dev": {"uri": server.url, "kind": "server", "api_key": key}})
        assert cli(["pull", "--registry", "iglu"], cwd=fresh).exit_code == 0
        assert {k: json.loads(v) for k, v in _local(fresh).items()} == {k: json.loads(v) for k, v in pulled.items()}


@pytest.mark.slow
def test_every_family_pulls_over_http_as_from_disk(cli, tmp_path, corpus):
    """A static repository over HTTP cannot be listed: each family is read by walking SchemaVer."""
    source = jsonschema_files(corpus)
    families = sorted({tuple(rel.split("/")[1:3]) for rel in source})
    with StaticSite(corpus) as site:
        root = _project(tmp_path / "h", {"dev": {"uri": site.url}})
        for vendor, name in families:
            run = cli(["pull", "--registry", "iglu", "--select", f"{vendor}/{name}"], cwd=root)
            assert run.exit_code == 0, (vendor, name, run.stderr)
    assert _local(root) == {project_path(rel): data for rel, data in source.items()}
