"""Render a :class:`LintResult` as text, JSON, JUnit XML or GitHub workflow annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from reflekt_core.lint.result import Level, LintResult

_STYLE = {Level.ERROR: "red", Level.WARNING: "yellow", Level.INFO: "blue"}


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(result: LintResult, base_dir: Path | None = None) -> str:
    """Grouped by file, one line per violation; Rich markup for colour."""
    lines: list[str] = []
    for path, group in groupby(result.violations, key=lambda v: v.path):
        lines.append(f"[bold]{_escape(path)}[/bold]")
        for v in group:
            where = f"{v.line}" if v.line else "-"
            style = _STYLE[v.level]
            lines.append(f"  {where:>4}  [{style}]{v.level.value:<7}[/{style}] [dim]{v.code}[/dim] "
                         f"{_escape(v.message)} [dim]{v.name}[/dim]")
        lines.append("")
    summary = result.summary()
    counts = (f"{_plural(summary['errors'], 'error')}, {_plural(summary['warnings'], 'warning')}"
              + (f", {_plural(summary['infos'], 'info')}" if summary["infos"] else ""))
    linted = _plural(summary["schemas"], "schema")
    skipped = f" ({summary['skipped']} skipped with \"lint\": false)" if summary["skipped"] else ""
    if result.ok:
        mark = "[green]✓[/green]" if not result.violations else "[yellow]✓[/yellow]"
        lines.append(f"{mark} {linted} linted{skipped}: {counts}")
    else:
        lines.append(f"[red]✗[/red] {linted} linted{skipped}: {counts} "
                     f"in {_plural(summary['schemas_with_errors'], 'schema')}")
    return "\n".join(lines)


def render_json(result: LintResult, base_dir: Path | None = None) -> str:
    return json.dumps({"violations": [v.to_dict() for v in result.violations],
                       "summary": result.summary()}, indent=2)


def render_junit(result: LintResult, base_dir: Path | None = None) -> str:
    """One test case per schema; error-level violations are failures, the rest system-out."""
    from xml.etree import ElementTree as ET  # only this format needs it

    summary = result.summary()
    suite = ET.Element("testsuite", name="reflekt lint", tests=str(summary["schemas"]),
                       failures=str(summary["schemas_with_errors"]), errors="0",
                       skipped=str(summary["skipped"]))
    by_path = {p: [] for p in result.schema_paths}
    for v in result.violations:
        by_path.setdefault(v.path, []).append(v)
    for path, violations in by_path.items():
        case = ET.SubElement(suite, "testcase", classname="reflekt.lint", name=path, file=path)
        errors = [v for v in violations if v.level is Level.ERROR]
        if errors:
            failure = ET.SubElement(case, "failure", type="lint",
                                    message=f"{_plural(len(errors), 'error')}: {errors[0].message}")
            failure.text = "\n".join(f"{v.code} {v.name} {v.pointer or '/'}: {v.message}" for v in errors)
        others = [v for v in violations if v.level is not Level.ERROR]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(
                f"{v.level.value} {v.code} {v.name} {v.pointer or '/'}: {v.message}" for v in others)
    for path in result.skipped_paths:
        case = ET.SubElement(suite, "testcase", classname="reflekt.lint", name=path, file=path)
        ET.SubElement(case, "skipped", message='"lint": false')
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(result: LintResult, base_dir: Path | None = None) -> str:
    """GitHub Actions workflow commands: ``::error file=...,line=...,title=...::message``."""
    command = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}
    lines = []
    for v in result.violations:
        path = v.path
        if base_dir is not None:
            path = os.path.relpath(base_dir / v.path)
        props = f"file={_gh_escape(path, True)}"
        if v.line:
            props += f",line={v.line}"
        props += f",title={_gh_escape(f'{v.code} {v.name}', True)}"
        lines.append(f"::{command[v.level]} {props}::{_gh_escape(v.message)}")
    summary = result.summary()
    lines.append(f"reflekt lint: {summary['schemas']} schemas, {summary['errors']} errors, "
                 f"{summary['warnings']} warnings")
    return "\n".join(lines)


REPORTERS: dict[str, Callable[[LintResult, Path | None], str]] = {
    "text": render_text, "json": render_json, "junit": render_junit, "github": render_github,
}
