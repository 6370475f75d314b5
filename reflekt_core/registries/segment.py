"""Segment Protocols through the Segment Public API (tracking plans and their rules).

Endpoints follow segmentio/public-api-sdk-go (API 73.x) and the TypeScript SDK's
``trackingPlansApi.ts``: list plans with a ``type`` filter, create a plan (POST, never resent
blindly), list rules with cursor pagination, upsert rules with PATCH, delete rules with the
``rules`` query array. Mapping lives in ``segment_rules``, the diff in ``segment_plan``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.base import PullResult, PushResult, parse_selector
from reflekt_core.registries.http import HttpClient, HttpSettings
from reflekt_core.registries.limits import CursorGuard
from reflekt_core.registries.segment_plan import (RuleChanges, delete_batches, plan_rule_changes, rule_identity,
                                                  upsert_batches)
from reflekt_core.registries.segment_rules import CALL_BY_RULE, rule_to_schema, rule_type_of, schema_to_rule
from reflekt_core.schemas.model import EventSchema

log = logging.getLogger(__name__)

REGIONS = {"us": "https://api.segmentapis.com", "eu": "https://eu1.api.segmentapis.com"}
PAGE_SIZE = 200
PLAN_TYPE = "LIVE"   # RULE_LIBRARY, TEMPLATE, ... plans may share a name; only LIVE plans are ours


def _same_plan(plan: dict[str, Any], name: str) -> bool:
    def key(text: str) -> str:
        return text.strip().lower().replace(" ", "_").replace("-", "_")
    return key(plan.get("name") or "") == key(name) or key(plan.get("slug") or "") == key(name)


class SegmentRegistry:
    name = "segment"

    def __init__(self, entry: dict[str, Any], vendor: str, settings: HttpSettings | None = None):
        token = entry.get("api_token")
        if not token:
            raise UsageError("the segment registry entry has no api_token",
                             hint="add api_token: \"{{ env_var('SEGMENT_API_TOKEN') }}\" to the profile")
        region = entry.get("region", "us")
        if region not in REGIONS:
            raise UsageError(f"segment region '{region}' is not one of: us, eu")
        self.vendor = vendor
        self.http = HttpClient("Segment", entry.get("base_url") or REGIONS[region],
                               {"Authorization": f"Bearer {token}",
                                "Accept": "application/vnd.segment.v1+json, application/json"},
                               settings or HttpSettings())

    @classmethod
    def from_profile(cls, entry: dict[str, Any], project, settings: HttpSettings) -> SegmentRegistry:
        return cls(entry, project.vendor, settings)

    # --- API calls -------------------------------------------------------------------------
    def _paginate(self, path: str, key: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        guard = CursorGuard(f"Segment API: GET {path}")
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {**(query or {}), "pagination[count]": PAGE_SIZE}
            if cursor:
                params["pagination[cursor]"] = cursor
            data = (self.http.request("GET", path, params=params) or {}).get("data") or {}
            page = data.get(key) or []
            if not isinstance(page, list):
                raise RegistryError(f"Segment API: GET {path} answered without a '{key}' list")
            items.extend(page)
            cursor = guard.next((data.get("pagination") or {}).get("next"), len(page))
            if not cursor:
                return items

    def find_plan(self, name: str) -> dict[str, Any] | None:
        plans = self._paginate("/tracking-plans", "trackingPlans", {"type": PLAN_TYPE})
        return next((p for p in plans if p.get("type", PLAN_TYPE) == PLAN_TYPE and _same_plan(p, name)), None)

    def list_rules(self, plan_id: str) -> list[dict[str, Any]]:
        return self._paginate(f"/tracking-plans/{plan_id}/rules", "rules")

    def check_connection(self) -> None:
        self.http.request("GET", "/tracking-plans", params={"pagination[count]": 1})

    def create_plan(self, name: str, notes: list[str]) -> dict[str, Any]:
        """POST a LIVE plan. A create is never resent blindly: after a failure that it may have
        survived (5xx, dropped connection, timeout), look the plan up by name first."""
        body = {"name": name, "description": f"Managed by Reflekt from schemas/{name}", "type": PLAN_TYPE}
        attempt = 0
        while True:
            try:
                plan = (self.http.request("POST", "/tracking-plans", json=body, idempotent=False)
                        or {}).get("data", {}).get("trackingPlan")
            except RegistryError as exc:
                if not exc.transient or attempt >= self.http.settings.retries:
                    raise
                found = self.find_plan(name)
                if found is not None:
                    notes.append(f"the create request for plan '{name}' failed ({exc.message}), but the plan "
                                 f"exists: using it")
                    return found
                self.http.pause(attempt)
                attempt += 1
                continue
            if not plan or "id" not in plan:
                raise RegistryError("Segment did not return the created tracking plan")
            return plan

    # --- pull --------------------------------------------------------------------------------
    def pull(self, selector: str, include_common: bool = False) -> PullResult:
        sel = parse_selector(selector)
        if sel.version and not sel.version.endswith("-0"):
            raise UsageError(f"Segment rule versions are MAJOR only: '{sel.version}' cannot exist in Segment",
                             hint=f"select {sel.plan}/{sel.event}/{sel.version.split('-')[0]}-0 instead")
        plan = self.find_plan(sel.plan)
        if plan is None:
            raise RegistryError(f"Segment has no tracking plan named '{sel.plan}'", status=404,
                                hint="check the plan name (the first part of --select)")
        result = PullResult([])
        for rule in self.list_rules(plan["id"]):
            rule_type = rule.get("type") if isinstance(rule, dict) else None
            if rule_type == "COMMON" and not include_common:
                result.notes.append("skipped the COMMON rule (use --include-common to pull it)")
                continue
            if rule_type not in CALL_BY_RULE and rule_type != "COMMON":
                result.notes.append(f"skipped a rule of unknown type {rule_type!r}")
                continue
            remote = rule_to_schema(rule, sel.plan, self.vendor)
            parts = remote.rel_path.split("/")
            if sel.event and parts[1] != sel.event:
                continue
            if sel.version and parts[2] != f"{sel.version}.json":
                continue
            result.schemas.append(remote)
        if (sel.event or sel.version) and not result.schemas:
            raise RegistryError(f"tracking plan '{sel.plan}' has no rule matching '{selector}'", status=404)
        result.schemas.sort(key=lambda r: r.rel_path)
        return result

    # --- push --------------------------------------------------------------------------------
    def desired_rules(self, schemas: Sequence[EventSchema], notes: list[str]) -> dict[tuple, dict[str, Any]]:
        """One rule per (event, MAJOR): the highest MINOR wins, as Segment versions are MAJOR only."""
        highest: dict[tuple[str, int], EventSchema] = {}
        for schema in schemas:
            if rule_type_of(schema) is None:
                notes.append(f"{schema.id}: {schema.call_type} calls have no Segment rule type; not pushed")
                continue
            key = (schema.event_dir, schema.major)
            current = highest.get(key)
            winner, loser = (schema, current) if current is None or schema.minor > current.minor else (current, schema)
            highest[key] = winner
            if loser is not None:
                notes.append(f"{loser.id}: not pushed, Segment versions are MAJOR only "
                             f"({winner.id} is pushed as version {schema.major})")
        rules: dict[tuple, dict[str, Any]] = {}
        unlabelled = []
        for schema in sorted(highest.values(), key=lambda s: s.rel_path):
            rule = schema_to_rule(schema)
            if rule["type"] not in ("TRACK", "PAGE") and schema.metadata:
                unlabelled.append(schema.id)
            identity = rule_identity(rule)
            if identity in rules:
                raise UsageError(f"{schema.id}: a second {rule['type']} rule for version {schema.major} "
                                 f"(Segment holds one per plan and version)",
                                 hint="keep one schema per Segment rule in the plan folder")
            rules[identity] = rule
        commons = [i for i in rules if i[0] == "COMMON"]
        if len(commons) > 1:
            raise UsageError(f"{len(commons)} COMMON schemas selected (versions "
                             f"{', '.join(str(i[2]) for i in commons)}); a Segment plan holds one COMMON rule",
                             hint="keep a single Common version in the plan folder")
        if unlabelled:
            notes.append(f"self.metadata not sent for {len(unlabelled)} schema(s): Segment keeps labels on Track "
                         f"and Page rules only ({', '.join(unlabelled[:3])}{', ...' if len(unlabelled) > 3 else ''})")
        return rules

    def push(self, schemas: Sequence[EventSchema], whole_plan: bool, *, delete: bool = False,
             dry_run: bool = False, import_method: str | None = None) -> PushResult:
        plans = {s.rel_path.split("/", 1)[0] for s in schemas}
        if len(plans) != 1:
            raise UsageError(f"select schemas of one tracking plan at a time (selected: {', '.join(sorted(plans))})")
        plan_name = plans.pop()
        notes: list[str] = []
        desired = self.desired_rules(schemas, notes)
        plan = self.find_plan(plan_name)
        if plan is None and delete:
            raise RegistryError(f"Segment has no tracking plan named '{plan_name}': nothing to delete", status=404)
        remote = {rule_identity(r): r for r in self.list_rules(plan["id"])} if plan else {}
        changes = plan_rule_changes(desired, remote, whole_plan=whole_plan, delete=delete)
        changes.notes[:0] = notes
        if not dry_run and changes.writes:
            if plan is None:
                plan = self.create_plan(plan_name, changes.notes)
            self.apply(plan["id"], changes)
        return PushResult(created=changes.created, updated=changes.updated, unchanged=changes.unchanged,
                          deleted=changes.deleted, notes=changes.notes)

    def apply(self, plan_id: str, changes: RuleChanges) -> None:
        """Upserts first (PATCH, at most 200 rules each), then targeted deletes (small query batches).

        No chunked PUT: replacing a plan in several requests leaves a window in which the later
        rules are missing and events fail validation."""
        path = f"/tracking-plans/{plan_id}/rules"
        for batch in upsert_batches(changes.upserts):
            # PATCH upserts by (type, key, version): sending it twice gives the same plan.
            self.http.request("PATCH", path, json={"rules": batch}, idempotent=True)
        for params in delete_batches(changes.deletes):
            self.http.request("DELETE", path, params=params)
