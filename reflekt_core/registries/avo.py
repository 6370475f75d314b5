"""Avo through its Public API: export a branch's tracking plan (pull), import JSON Schema (push).

Endpoints follow avohq/docs ``export-tracking-plan.mdx`` (``GET .../branches/{id}/export/v1``) and
``import-tracking-plan.mdx`` (``POST .../branches/{id}/import/v1?importMethod=...``); what an import
changes is computed in ``avo_import`` from the documented import semantics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.avo_import import IMPORT_METHODS, plan_import
from reflekt_core.registries.base import PullResult, PushResult, RemoteSchema, folder_name, parse_selector
from reflekt_core.registries.http import HttpClient, HttpSettings
from reflekt_core.schemas.model import EventSchema
from reflekt_core.warehouses.base import require

BASE_URL = "https://api.avo.app"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: Keys Avo adds to properties that are not JSON Schema and mean nothing outside Avo.
AVO_ONLY_KEYS = frozenset({"id", "index", "nameMapping", "isSystemProperty", "groupTypeId", "operations",
                           "stakeholderDomains", "customFields", "pii", "tags"})
#: Avo property groups -> the nested object Reflekt keeps them in (group properties are pulled,
#: but never pushed: Avo's import does not take them).
PROPERTY_SETS = {"userProperties": "user_properties", "groupProperties": "group_properties"}


def _clean(node: Any) -> Any:
    """A property node without Avo's bookkeeping keys; names inside ``properties`` maps are kept
    (a sub-property may well be called ``id`` or ``tags``)."""
    if isinstance(node, list):
        return [_clean(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in AVO_ONLY_KEYS:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _clean(sub) for name, sub in value.items()}
        else:
            out[key] = _clean(value)
    return out


def _property_set(rules: Mapping[str, Any], key: str) -> tuple[dict[str, Any], list[str]]:
    block = ((rules.get("properties") or {}).get(key) or {}) if isinstance(rules, Mapping) else {}
    raw = block.get("properties") if isinstance(block.get("properties"), dict) else {}
    props = {name: _clean(node) for name, node in raw.items() if isinstance(node, dict)}
    for name, node in props.items():
        if isinstance(node.get("type"), list) and len(node["type"]) == 1:
            node["type"] = node["type"][0]
        if raw[name].get("isSystemProperty") is True:  # pushed back as a system property, not an event one
            node["x-avo-sendAs"] = "SystemProperty"
    return props, [r for r in block.get("required") or [] if r in props]


def event_to_schema(event: Mapping[str, Any], plan: str, vendor: str) -> RemoteSchema:
    """An event of Avo's export as a Reflekt schema (Avo has no versions: always ``1-0``)."""
    name = event["name"]
    variant = event.get("variantName") if event.get("eventType") == "variant" else None
    if variant:
        name = f"{name} - {variant}"
    rules = event.get("rules") or {}
    properties, required = _property_set(rules, "properties")
    for avo_key, nested in PROPERTY_SETS.items():
        props, req = _property_set(rules, avo_key)
        if props:
            properties[nested] = {"type": "object", "description": f"Avo {avo_key} sent with this event.",
                                  "properties": props, **({"required": req} if req else {})}
    metadata: dict[str, Any] = {}
    tags = [t for t in event.get("tags") or [] if isinstance(t, str)]
    if tags:
        metadata["tags"] = tags  # kept as written: "Tier 3 - UI" is a tag, not key: value
    rel = f"{plan}/{folder_name(name)}/1-0.json"
    doc: dict[str, Any] = {"$id": rel, "$schema": DRAFT_07, "description": event.get("description") or "",
                           "self": {"vendor": vendor, "name": name, "format": "jsonschema", "version": "1-0",
                                    "metadata": metadata},
                           "type": "object", "properties": properties}
    if variant:  # Avo's import skips variants: push reports them as skipped
        doc["self"]["registry"] = {"avo": {"variant": variant, "event": event["name"]}}
    if required:
        doc["required"] = required
    block = ((rules.get("properties") or {}).get("properties") or {})
    doc["additionalProperties"] = bool(block.get("additionalProperties", False))
    return RemoteSchema(rel, doc)


class AvoRegistry:
    name = "avo"

    def __init__(self, entry: dict[str, Any], vendor: str, branches: Mapping[str, str],
                 settings: HttpSettings | None = None):
        missing = [k for k in ("workspace_id", "service_account_name", "service_account_secret") if not entry.get(k)]
        if missing:
            raise UsageError(f"the avo registry entry is missing {', '.join(missing)}",
                             hint="see the reflekt_profiles.yml reference in the README")
        auth = require("requests.auth", "registries", "The Avo registry")
        self.vendor = vendor
        self.workspace = entry["workspace_id"]
        self.branches = dict(branches)
        base = settings or HttpSettings()
        # Avo soft-enforces one request per second per service account.
        paced = HttpSettings(timeout=base.timeout, retries=base.retries, backoff=max(base.backoff, 1.0),
                             backoff_max=base.backoff_max, min_interval=max(base.min_interval, 1.0))
        self.http = HttpClient("Avo", entry.get("base_url") or BASE_URL, {"Accept-Encoding": "gzip"}, paced,
                               auth=auth.HTTPBasicAuth(entry["service_account_name"],
                                                       entry["service_account_secret"]))

    @classmethod
    def from_profile(cls, entry: dict[str, Any], project, settings: HttpSettings) -> AvoRegistry:
        return cls(entry, project.vendor, project.avo_branches, settings)

    def branch_id(self, branch: str) -> str:
        if branch == "main":
            return "main"
        if branch not in self.branches:
            known = ", ".join(sorted(self.branches)) or "none"
            raise UsageError(f"Avo branch '{branch}' has no id in reflekt_project.yml (registry.avo.branches: {known})",
                             hint="add '<branch name>: <branch id>' under registry.avo.branches; the id is in the "
                                  "branch's URL in Avo")
        return self.branches[branch]

    def _path(self, branch: str, action: str) -> str:
        return f"/workspaces/{self.workspace}/branches/{self.branch_id(branch)}/{action}/v1"

    def check_connection(self) -> None:
        self.http.request("GET", self._path("main", "export"))

    def pull(self, selector: str, include_common: bool = False) -> PullResult:
        sel = parse_selector(selector)
        data = self.http.request("GET", self._path(sel.plan, "export"))
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise RegistryError("Avo's export has no 'events' list", hint="is this an Avo export endpoint?")
        result = PullResult([event_to_schema(e, sel.plan, self.vendor) for e in events if e.get("name")])
        if sel.event:
            result.schemas = [s for s in result.schemas if s.rel_path.split("/")[1] == sel.event]
            if not result.schemas:
                raise RegistryError(f"Avo branch '{sel.plan}' has no event '{sel.event}'", status=404)
        result.schemas.sort(key=lambda r: r.rel_path)
        return result

    def push(self, schemas: Sequence[EventSchema], whole_plan: bool, *, delete: bool = False,
             dry_run: bool = False, import_method: str | None = None) -> PushResult:
        method = import_method or "addAndUpdate"
        if method not in IMPORT_METHODS:
            raise UsageError(f"--import-method '{method}' is not one of: {', '.join(IMPORT_METHODS)}")
        if delete:
            raise UsageError("Avo's API has no delete, and no import method deletes an event",
                             hint="remove events in Avo; --import-method addUpdateAndRemove removes properties "
                                  "within the pushed events")
        branches = {s.rel_path.split("/", 1)[0] for s in schemas}
        if len(branches) != 1:
            raise UsageError(f"select schemas of one Avo branch at a time (selected: {', '.join(sorted(branches))})")
        branch = branches.pop()
        # Compare with the branch first, so that an identical push sends nothing (Avo has no dry run).
        exported = self.http.request("GET", self._path(branch, "export"))
        events = [e for e in (exported or {}).get("events") or [] if isinstance(e, dict) and e.get("name")]
        pulled = [event_to_schema(e, branch, self.vendor) for e in events]
        variants = {r.doc["self"]["name"] for r in pulled if "registry" in r.doc["self"]}
        remote = {r.doc["self"]["name"]: r.doc for r in pulled if "registry" not in r.doc["self"]}
        changes = plan_import(schemas, remote, variants, method)
        result = PushResult(created=changes.created, updated=changes.updated, unchanged=changes.unchanged,
                            notes=changes.notes)
        untouched = sorted(set(remote) - {s.name for s in schemas})
        if whole_plan and untouched:
            result.notes.append(f"{len(untouched)} event(s) on branch '{branch}' are not in schemas/ and stay: no "
                                f"Avo import method deletes an event ({', '.join(untouched[:3])}"
                                f"{', ...' if len(untouched) > 3 else ''})")
        if dry_run or not changes.send:
            return result
        self.apply(branch, method, changes.send, result)
        return result

    def apply(self, branch: str, method: str, events: dict[str, Any], result: PushResult) -> None:
        """One import request; Avo's counts and warnings become notes."""
        try:
            # An import is keyed by event and property names: sending it again gives the same branch.
            response = self.http.request("POST", self._path(branch, "import"), params={"importMethod": method},
                                         json={"schema": {"events": events}}, idempotent=True)
        except RegistryError as exc:
            if exc.status == 403:
                raise RegistryError(f"Avo refused the import: branch '{branch}' is protected ({exc.message})",
                                    status=403, hint="push to a branch (registry.avo.branches) and merge it in Avo") from None
            if exc.status == 409:
                raise RegistryError(f"Avo refused the import into branch '{branch}': the branch is merged or closed, "
                                    f"or has no prior actions ({exc.message})", status=409,
                                    hint="use an open branch with at least one change made in Avo, and put its id "
                                         "under registry.avo.branches in reflekt_project.yml") from None
            raise
        response = response if isinstance(response, dict) else {}
        outcome = response.get("result") if isinstance(response.get("result"), dict) else {}
        counts = ", ".join(f"{_count(outcome.get(k))} {label}" for k, label in (
            ("newEvents", "new events"), ("updatedEvents", "updated events"), ("newProperties", "new properties"),
            ("updatedProperties", "updated properties")))
        result.notes.append(f"Avo: {response.get('message') or 'import done'} ({counts})")
        result.notes.extend(f"Avo warning: {w}" for w in response.get("warnings") or [])


def _count(value: Any) -> int:
    """Avo documents integer counts; older answers listed names."""
    if isinstance(value, bool):
        return 0
    return value if isinstance(value, int) else len(value) if isinstance(value, list) else 0
