"""Drive a real ``dagster dev`` (webserver + daemon) over GraphQL: start, query, stop by PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers import ROOT


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the webserver starts its code server in its own session)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop_process_group(proc: subprocess.Popen, timeout: float = 20) -> list[int]:
    """Stop ``proc`` and everything it started, by PID: SIGTERM, then SIGKILL if needed."""
    pids = _descendants(proc.pid)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    return pids


RUNS = """query($filter: RunsFilter) { runsOrError(filter: $filter, limit: 50) { ... on Runs { results {
  runId status tags { key value } assetSelection { path } } } } }"""
LATEST = """query($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
  assetMaterializations(limit: 1) { runId timestamp } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on InvalidStepError { invalidStepKey } ... on InvalidSubsetError { message } ... on RunConfigValidationInvalid { errors { message } } } }"""
RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
EVENTS = """query($id: ID!) { logsForRun(runId: $id, limit: 1000) { ... on EventConnection { events {
  __typename ... on MessageEvent { message } ... on ExecutionStepFailureEvent { error { message } } } } } }"""
LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DagsterDev:
    def __init__(self, env: dict[str, str], cwd: Path, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**env, "REFLEKT_DAGSTER_RELOAD_URL": self.base}
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster")), "dev", "-w", str(ROOT / "workspace.yaml"),
             "-h", "127.0.0.1", "-p", str(self.port)], cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def gql(self, query: str, **variables):
        body = json.dumps({"query": query, "variables": variables}).encode()
        request = urllib.request.Request(f"{self.base}/graphql", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            reply = json.loads(urllib.request.urlopen(request, timeout=60).read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{exc}: {exc.read()[:2000]!r} for {query[:80]}") from None
        assert "errors" not in reply, reply["errors"]
        return reply["data"]

    def wait_loaded(self, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, "dagster dev exited"
            try:
                entries = self.gql(LOCATION)["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"]:
                    return entries[0]["locationOrLoadError"]["__typename"]
            except OSError:
                pass
            assert time.monotonic() < deadline, "the code location did not load"
            time.sleep(1)

    def runs(self, created_after: float | None = None, **tags) -> list[dict]:
        flt = {"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}
        if created_after is not None:
            flt["createdAfter"] = created_after
        return self.gql(RUNS, filter=flt)["runsOrError"]["results"]

    def latest(self, *path: str) -> tuple[str, float] | None:
        asset = self.gql(LATEST, key={"path": list(path)})["assetOrError"]
        found = (asset or {}).get("assetMaterializations") or []
        return (found[0]["runId"], float(found[0]["timestamp"])) if found else None

    def launch(self, job: str, location: str, asset_selection: list[list[str]] | None = None,
               run_config: dict | None = None) -> str:
        selector = {"repositoryLocationName": location, "repositoryName": "__repository__", "jobName": job}
        if asset_selection is not None:
            selector["assetSelection"] = [{"path": p} for p in asset_selection]
        result = self.gql(LAUNCH, params={"selector": selector, "runConfigData": run_config or {},
                                          "mode": "default"})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def wait_run(self, run_id: str, timeout: float = 400) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = self.gql(RUN, id=run_id)["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return status
            assert time.monotonic() < deadline, f"run {run_id} still {status}"
            time.sleep(1)

    def failure_messages(self, run_id: str) -> str:
        events = self.gql(EVENTS, id=run_id)["logsForRun"]["events"]
        return "\n".join((e.get("error") or {}).get("message", "") for e in events
                         if e["__typename"] == "ExecutionStepFailureEvent")

    def stop(self) -> list[int]:
        pids = stop_process_group(self.proc, timeout=30)
        self.log.close()
        return pids


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)
