"""Iglu, Snowplow's open schema registry: static repositories (disk, HTTP, S3) and Iglu Server.

Pull writes each schema to ``<vendor>/<name>/<MODEL-REVISION-ADDITION>.json`` exactly as the
registry holds it (a static repository's bytes; the server's JSON), and push sends the local
file unchanged, so a pull followed by a push gives the registry back the same content. A
version that exists with different content is never overwritten: published Iglu schemas are
immutable.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.base import PullResult, PushResult, RemoteSchema, Selector
from reflekt_core.registries.http import HttpSettings
from reflekt_core.registries.iglu_config import IgluConfig
from reflekt_core.registries.iglu_key import IgluKey, key_from_self
from reflekt_core.registries.iglu_server import IgluServer, canonical
from reflekt_core.registries.iglu_store import DiskStore, HttpStore, S3Store, StaticStore
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.version import IGLU_SELF_DESC, is_self_describing

log = logging.getLogger(__name__)
JSONSCHEMA = "jsonschema"  # the one Iglu format Reflekt reads; avro, thrift, protobuf... are skipped
_MAX_PROBES = 10_000  # SchemaVer probing of an unlistable (HTTP) repository stops here
#: Static stores are read and written by several threads: S3 and HTTP are latency-bound.
WORKERS = 8


def _each(func: Callable[[IgluKey], Any], keys: Iterable[IgluKey]) -> dict[IgluKey, Any]:
    """``func`` over ``keys`` on a few threads; the first error stops the rest and is raised."""
    keys = list(keys)
    if len(keys) < 2:
        return {key: func(key) for key in keys}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {pool.submit(func, key): key for key in keys}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            if future.exception() is not None:
                error = future.exception()
                error.completed = sum(1 for f in done if f.exception() is None)  # type: ignore[attr-defined]
                raise error
        return {futures[f]: f.result() for f in futures}


def parse_iglu_selector(text: str | None) -> Selector:
    """``<vendor>[/<name>[/<version>]]``, each part possibly a glob; empty or ``*`` = everything."""
    from reflekt_core.schemas.select import normalise_selector

    parts = [p for p in normalise_selector(text or "*").split("/") if p]
    if not parts or len(parts) > 3:
        raise UsageError(f"--select '{text}' is not <vendor>[/<name>[/<MODEL-REVISION-ADDITION>]]",
                         hint="e.g. --select com.acme or --select com.acme/link_click")
    return Selector(parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def _glob(part: str | None) -> bool:
    return part is not None and any(c in part for c in "*?[")


def _matches(key: IgluKey, sel: Selector) -> bool:
    return (fnmatch.fnmatchcase(key.vendor, sel.plan)
            and (sel.event is None or fnmatch.fnmatchcase(key.name, sel.event))
            and (sel.version is None or fnmatch.fnmatchcase(key.version, sel.version)))


def server_text(doc: dict[str, Any]) -> str:
    return json.dumps(canonical(doc), indent=2, ensure_ascii=False) + "\n"


@dataclass
class IgluPushPlan:
    """What a push would do: pure, computed from the desired and the remote documents."""

    create: list[IgluKey] = field(default_factory=list)
    unchanged: list[IgluKey] = field(default_factory=list)
    conflicts: list[IgluKey] = field(default_factory=list)


def plan_push(desired: dict[IgluKey, dict[str, Any]], remote: dict[IgluKey, dict[str, Any] | None]) -> IgluPushPlan:
    """Compare by content (not formatting); creations in SchemaVer order, predecessors first."""
    plan = IgluPushPlan()
    for key in sorted(desired, key=lambda k: k.sort_key):
        held = remote.get(key)
        if held is None:
            plan.create.append(key)
        elif canonical(held) == canonical(desired[key]):
            plan.unchanged.append(key)
        else:
            plan.conflicts.append(key)
    return plan


def _parse(data: bytes, where: str) -> tuple[str, dict[str, Any]]:
    try:
        text = data.decode("utf-8")
        doc = json.loads(text.lstrip("\ufeff"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RegistryError(f"{where}: not a JSON schema ({str(exc)[:120]})",
                            hint="fix the file in the repository (Iglu schemas are strict JSON)") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{where}: expected a JSON object")
    return text, doc


class IgluRegistry:
    name = "iglu"

    def __init__(self, config: IgluConfig, backend: StaticStore | IgluServer):
        self.config = config
        self.backend = backend

    @classmethod
    def from_profile(cls, entry: dict[str, Any], project, settings: HttpSettings) -> IgluRegistry:
        config = IgluConfig.from_entry(entry)
        scheme = config.scheme
        if scheme == "server":
            backend: StaticStore | IgluServer = IgluServer(config.uri, config.api_key, config.public, settings)
        elif scheme == "http":
            backend = HttpStore(config.uri, settings)
        elif scheme == "s3":
            backend = S3Store(config, settings)
        else:
            backend = DiskStore(config.disk_root(project.dir))
        return cls(config, backend)

    @property
    def where(self) -> str:
        return self.backend.where

    def check_connection(self) -> None:
        if isinstance(self.backend, IgluServer):
            self.backend.check()
        elif isinstance(self.backend, HttpStore):
            self.backend.http.request("GET", "/", expected=(200, 301, 302, 403, 404), raw=True)
        else:
            self.backend.list_keys("-")  # lists nothing, but reaches the folder or bucket

    # --- pull --------------------------------------------------------------------------------
    def _remote_texts(self, sel: Selector, skipped: list[IgluKey]) -> dict[IgluKey, tuple[str, dict[str, Any]]]:
        """The jsonschema documents matching ``sel``; keys of other formats go to ``skipped``
        unread (Iglu also holds avro, thrift and protobuf schemas, which need not be JSON)."""
        if isinstance(self.backend, IgluServer):
            held = {k: doc for k, doc in self.backend.all_schemas().items() if _matches(k, sel)}
            skipped.extend(k for k in held if k.format != JSONSCHEMA)
            return {k: (server_text(doc), doc) for k, doc in held.items() if k.format == JSONSCHEMA}
        store = self.backend
        found: dict[IgluKey, bytes] = {}
        keys = store.list_keys(None if _glob(sel.plan) else sel.plan)
        if keys is None:
            if sel.event is None or _glob(sel.plan) or _glob(sel.event):
                raise UsageError(f"the static Iglu repository {store.where} cannot be listed over HTTP",
                                 hint="select one schema family: --select <vendor>/<name>[/<version>]")
            found = self._probe(store, sel)
        else:
            keys = [k for k in keys if _matches(k, sel)]
            skipped.extend(k for k in keys if k.format != JSONSCHEMA)
            read = _each(store.read, [k for k in keys if k.format == JSONSCHEMA])
            found = {k: data for k, data in read.items() if data is not None}
        return {k: _parse(data, f"{store.where}/{k.path}") for k, data in found.items()}

    @staticmethod
    def _probe(store: StaticStore, sel: Selector) -> dict[IgluKey, bytes]:
        """Read one family from a repository that cannot be listed: walk SchemaVer until a gap."""
        if sel.version and not _glob(sel.version):
            key = IgluKey(sel.plan, sel.event, "jsonschema", sel.version)
            data = store.read(key)
            return {key: data} if data is not None else {}
        found: dict[IgluKey, bytes] = {}
        model, revision, addition = 1, 0, 0
        for _ in range(_MAX_PROBES):
            key = IgluKey(sel.plan, sel.event, "jsonschema", f"{model}-{revision}-{addition}")
            data = store.read(key)
            if data is not None:
                if _matches(key, sel):
                    found[key] = data
                addition += 1
            elif addition > 0:
                revision, addition = revision + 1, 0
            elif revision > 0:
                model, revision = model + 1, 0
            else:
                break
        return found

    def pull(self, selector: str | None, include_common: bool = False) -> PullResult:
        sel = parse_iglu_selector(selector)
        result = PullResult([])
        skipped: list[IgluKey] = []
        for key, (text, doc) in sorted(self._remote_texts(sel, skipped).items(), key=lambda item: item[0].sort_key):
            where = f"{self.where}: {key.uri}"
            if key_from_self(doc.get("self"), where) != key:
                raise RegistryError(f"{where}: its self block declares {key_from_self(doc['self'], where).uri}",
                                    hint="fix the repository: a schema's path and self must agree")
            result.schemas.append(RemoteSchema(key.rel_path, doc, text=text))
        ignored = getattr(self.backend, "ignored", [])
        if ignored:
            result.notes.append(f"ignored {len(ignored)} file(s) not at schemas/<vendor>/<name>/<format>/"
                                f"<MODEL-REVISION-ADDITION> (no Iglu client would find them): "
                                + ", ".join(ignored[:5]) + (" ..." if len(ignored) > 5 else ""))
        if skipped:
            formats = ", ".join(sorted({k.format for k in skipped}))
            result.notes.append(f"skipped {len(skipped)} schema(s) of format {formats} (Reflekt reads jsonschema "
                                f"only): {', '.join(k.uri for k in sorted(skipped, key=lambda k: k.sort_key)[:5])}"
                                + (" ..." if len(skipped) > 5 else ""))
        if not result.schemas:
            if _glob(sel.plan) and sel.event is None:
                result.notes.append(f"the Iglu repository {self.where} holds no schema matching '{selector or '*'}'")
            else:
                raise RegistryError(f"the Iglu repository {self.where} has no schema matching '{selector}'",
                                    status=404, hint="check the vendor, name and version you selected")
        return result

    # --- push --------------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Refuse a push to a read-only repository before anything is read."""
        if not self.backend.writable:
            raise UsageError(f"the Iglu repository at {self.where} is read-only over HTTP",
                             hint="push to its folder or S3 bucket (uri: s3://...), or to an Iglu Server")

    def _desired(self, schemas: Sequence[EventSchema]) -> dict[IgluKey, tuple[bytes, dict[str, Any]]]:
        desired: dict[IgluKey, tuple[bytes, dict[str, Any]]] = {}
        for schema in schemas:
            where = f"schemas/{schema.rel_path}"
            if not is_self_describing(schema.doc):
                raise UsageError(f"{where} is not a self-describing Iglu schema",
                                 hint="select only Iglu schemas (--select <vendor>), or make it one: "
                                      f'"$schema": "{IGLU_SELF_DESC}" and a SchemaVer self.version '
                                      "(README: migrating from reflekt 0.6)")
            key = key_from_self(schema.self_block, where)
            if schema.rel_path != key.rel_path:
                raise UsageError(f"{where} declares {key.uri}, which belongs in schemas/{key.rel_path}",
                                 hint="Iglu's vendor is the plan folder and its name the event folder")
            data = schema.path.read_bytes()
            try:
                doc = json.loads(data.decode("utf-8-sig"))
            except ValueError:
                raise UsageError(f"{where} is not strict JSON (comments or trailing commas)",
                                 hint="Iglu clients read strict JSON; remove them before pushing") from None
            desired[key] = (data, doc)
        return desired

    def _remote_for(self, desired: dict[IgluKey, tuple[bytes, dict[str, Any]]]) -> dict[IgluKey, dict[str, Any] | None]:
        if isinstance(self.backend, IgluServer):
            held = self.backend.all_schemas()
            return {k: held.get(k) for k in desired}
        store = self.backend
        listed = {k for vendor in sorted({k.vendor for k in desired}) for k in (store.list_keys(vendor) or [])}
        same = getattr(store, "holds_bytes", lambda key, data: False)
        unchanged = {k for k in desired if k in listed and same(k, desired[k][0])}
        read = _each(store.read, [k for k in desired if k in listed and k not in unchanged])
        return {k: desired[k][1] if k in unchanged else
                _parse(read[k], f"{store.where}/{k.path}")[1] if read.get(k) is not None else None for k in desired}

    def push(self, schemas: Sequence[EventSchema], whole_plan: bool = False, *, delete: bool = False,
             dry_run: bool = False, import_method: str | None = None) -> PushResult:
        if delete:
            raise UsageError("Reflekt does not delete from an Iglu registry: published schemas are immutable",
                             hint="remove the schema's files from the repository by hand if you must")
        if import_method:
            raise UsageError("--import-method is Avo's; Iglu has none")
        self.ensure_writable()
        desired = self._desired(schemas)
        plan = plan_push({k: doc for k, (_, doc) in desired.items()}, self._remote_for(desired))
        if plan.conflicts:
            raise RegistryError(
                f"{len(plan.conflicts)} schema version(s) already exist in {self.where} with different content: "
                + ", ".join(k.uri for k in plan.conflicts[:10]) + (" ..." if len(plan.conflicts) > 10 else ""),
                status=409, hint="published Iglu schemas are immutable: publish the change as a new version "
                                 "(e.g. 1-0-1) instead; nothing was pushed")
        result = PushResult(created=[k.uri for k in plan.create], unchanged=[k.uri for k in plan.unchanged])
        diffs: list[str] = []
        for key in plan.create:
            text = desired[key][0].decode("utf-8-sig") if not isinstance(self.backend, IgluServer) \
                else server_text(desired[key][1])
            diffs.extend(difflib.unified_diff([], text.splitlines(True), "/dev/null", f"b/{key.path}"))
        result.diff = "".join(line if line.endswith("\n") else line + "\n" for line in diffs)
        if dry_run:
            return result
        try:
            if isinstance(self.backend, IgluServer):
                # One at a time, in SchemaVer order: the server refuses a version before its predecessor.
                for done, key in enumerate(plan.create):
                    try:
                        self.backend.put(key, desired[key][1])
                    except RegistryError as exc:
                        exc.completed = done  # type: ignore[attr-defined]
                        raise
            else:
                store = self.backend
                _each(lambda key: store.write(key, desired[key][0]), plan.create)
        except RegistryError as exc:
            exc.message = (f"{exc.message} (after pushing {getattr(exc, 'completed', 0)} of {len(plan.create)} "
                           "new schema(s); a re-run pushes only the rest)")
            raise
        log.debug("pushed %d schemas to %s", len(plan.create), self.where)
        return result
