"""The list of every lint rule, and how a project and the CLI select and re-level them."""

from __future__ import annotations

from collections.abc import Iterable

from reflekt_core.errors import ProjectConfigError, UsageError
from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Rule
from reflekt_core.lint.rules import docs, evolution, identity, igluctl, naming, plan, structure, types
from reflekt_core.project import Project

ALL_RULES: list[Rule] = [*naming.RULES, *identity.RULES, *docs.RULES, *types.RULES,
                         *structure.RULES, *igluctl.RULES, *plan.RULES, *evolution.RULES]
#: igluctl's linter names (Snowplow schema-ddl ``Linter``) and the rules that check the same thing,
#: so ``--skip-rules optionalNull`` works as ``igluctl lint --skip-checks optionalNull`` did.
IGLUCTL_NAMES: dict[str, tuple[str, ...]] = {
    "rootObject": ("R501",), "numericMinimumMaximum": ("R503",), "stringMinMaxLength": ("R504",),
    "stringMaxLengthRange": ("R510",), "arrayMinMaxItems": ("R505",), "numericProperties": ("R506",),
    "stringProperties": ("R506",), "arrayProperties": ("R506",), "objectProperties": ("R506",),
    "requiredPropertiesExist": ("R507",), "unknownFormats": ("R508",), "numericMinMax": ("R511",),
    "stringLength": ("R512",), "optionalNull": ("R513",), "description": ("R301", "R302"),
    "schemaUri": ("R209",),
}
_BY_KEY: dict[str, Rule] = {**{r.code: r for r in ALL_RULES}, **{r.name: r for r in ALL_RULES}}


def get_rule(key: str) -> Rule | None:
    """A rule by code (``R101``, any case) or dotted name (``naming.event_casing``)."""
    return _BY_KEY.get(key) or _BY_KEY.get(key.upper())


def _matching(keys: Iterable[str], where: str, error: type) -> set[str]:
    """Codes named by ``keys``; a key may also be a name prefix such as ``naming``."""
    codes: set[str] = set()
    for key in keys:
        key = key.strip()
        if not key:
            continue
        rule = get_rule(key)
        if rule:
            codes.add(rule.code)
            continue
        if key in IGLUCTL_NAMES:
            codes.update(IGLUCTL_NAMES[key])
            continue
        family = [r.code for r in ALL_RULES if r.name.startswith(key.rstrip(".") + ".")]
        if not family:
            raise error(f"unknown lint rule '{key}' in {where}",
                        hint="run 'reflekt rules' to list every code and name")
        codes.update(family)
    return codes


def split_keys(values: Iterable[str] | None) -> list[str]:
    """CLI values may be repeated or comma-separated: ``--skip-rules R101,R102``."""
    return [part for value in values or [] for part in value.split(",") if part.strip()]


def resolve_rules(project: Project, select: Iterable[str] | None = None,
                  skip: Iterable[str] | None = None, *, iglu: bool = False) -> list[tuple[Rule, Level]]:
    """The rules to run with their effective level: project config first, then CLI flags.

    Rules declared ``default=False`` (igluctl's stricter checks) run when selected by code or
    name, or with ``iglu=True`` (linting an Iglu repository in place).
    """
    config = project.lint
    where = f"{project.path} (lint)"
    chosen = {r.code for r in ALL_RULES if r.default or iglu}
    if config.select:
        chosen = _matching(config.select, where, ProjectConfigError)
    chosen -= _matching(config.skip, where, ProjectConfigError)
    cli_select, cli_skip = split_keys(select), split_keys(skip)
    if cli_select:
        chosen = _matching(cli_select, "--select-rules", UsageError)
    chosen -= _matching(cli_skip, "--skip-rules", UsageError)
    levels: dict[str, Level] = {}
    for key, level in config.levels.items():
        for code in _matching([key], f"{where}.levels", ProjectConfigError):
            levels[code] = Level(level)
    return [(rule, levels.get(rule.code, rule.level)) for rule in ALL_RULES if rule.code in chosen]
