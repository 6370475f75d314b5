"""``reflekt rules``: the lint rule catalogue, or one rule's documentation."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, stdout


@boundary
def rules(
    rule: Annotated[Optional[str], typer.Argument(help="A rule code or name to explain.",
                                                  show_default=False)] = None,
) -> None:
    """List every lint rule (code, name, level), or explain one with failing and passing examples."""
    from rich.table import Table

    from reflekt_core.errors import UsageError
    from reflekt_core.lint.catalogue import ALL_RULES, get_rule

    console = stdout()
    if rule:
        found = get_rule(rule)
        change_rule = _change_rule(rule)
        if change_rule:  # a schema evolution classification rule (reflekt lint --base)
            console.print(f"[bold]evolution classification: {change_rule.name}[/bold]\n")
            console.print(change_rule.doc, markup=False)
            return
        if not found:
            raise UsageError(f"unknown rule '{rule}'", hint="run 'reflekt rules' to list them")
        console.print(f"[bold]{found.code} {found.name}[/bold] ({found.level.value})\n")
        console.print(found.doc, markup=False)
        return
    table = Table("code", "name", "level", "checks", box=None, pad_edge=False)
    for item in ALL_RULES:
        table.add_row(item.code, item.name, item.level.value, item.summary)
    console.print(table)
    from reflekt_core.evolution.rules import RULES

    console.print("\nSchema evolution classification (R7xx with --base; 'reflekt rules <name>' explains one):")
    changes = Table("name", "classifies", box=None, pad_edge=False)
    for item in RULES:
        changes.add_row(item.name, item.summary)
    console.print(changes)


def _change_rule(key: str):
    from reflekt_core.evolution.rules import RULES

    return next((r for r in RULES if r.name == key), None)
