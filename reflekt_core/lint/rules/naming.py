"""Naming conventions from ``schemas.conventions`` in reflekt_project.yml."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.naming.casing import DESCRIPTIONS, follows, to_casing
from reflekt_core.schemas.model import EventSchema


@lru_cache(maxsize=4096)
def _has_digit(name: str) -> bool:
    """Memoised: property names repeat across the schemas of a plan."""
    return any(c.isdigit() for c in name)


def _reserved(name: str, reserved: tuple[str, ...]) -> bool:
    lowered = name.lower()
    return any(lowered == r.lower() for r in reserved)


@schema_rule("R101", "naming.event_casing", Level.ERROR)
def event_casing(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Event names follow the configured casing (``conventions.event.casing``).

    Fails (casing: title): ``"self": {"name": "order completed"}``
    Passes (casing: title): ``"self": {"name": "Order Completed"}``
    """
    casing = ctx.project.event_naming.casing
    if not follows(schema.name, casing):
        yield "/self/name", (f"event name '{schema.name}' is not {DESCRIPTIONS[casing]} "
                             f"(expected e.g. '{to_casing(schema.name, casing)}')")


@schema_rule("R102", "naming.event_numbers", Level.ERROR)
def event_numbers(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Event names contain no digits when ``conventions.event.numbers`` is false.

    Fails (numbers: false): ``"self": {"name": "Checkout Step 2 Viewed"}``
    Passes (numbers: false): ``"self": {"name": "Checkout Step Viewed"}``
    """
    if not ctx.project.event_naming.numbers and _has_digit(schema.name):
        yield "/self/name", f"event name '{schema.name}' contains a number, which the conventions forbid"


@schema_rule("R103", "naming.event_reserved", Level.ERROR)
def event_reserved(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Event names are not in ``conventions.event.reserved`` (compared case-insensitively).

    Fails (reserved: [Event]): ``"self": {"name": "Event"}``
    Passes (reserved: [Event]): ``"self": {"name": "Order Completed"}``
    """
    if _reserved(schema.name, ctx.project.event_naming.reserved):
        yield "/self/name", f"event name '{schema.name}' is reserved by the project conventions"


@schema_rule("R104", "naming.property_casing", Level.ERROR)
def property_casing(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Property names, nested ones included, follow ``conventions.property.casing``.

    Fails (casing: snake): ``"properties": {"orderId": {...}}``
    Passes (casing: snake): ``"properties": {"order_id": {...}}``
    """
    casing = ctx.project.property_naming.casing
    if casing == "any":
        return
    for prop in schema.property_nodes:
        if not follows(prop.name, casing):
            yield prop.pointer, (f"property '{prop.path}' is not {DESCRIPTIONS[casing]} "
                                 f"(expected e.g. '{to_casing(prop.name, casing)}')")


@schema_rule("R105", "naming.property_numbers", Level.ERROR)
def property_numbers(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Property names contain no digits when ``conventions.property.numbers`` is false.

    Fails (numbers: false): ``"properties": {"address_line_2": {...}}``
    Passes (numbers: false): ``"properties": {"address_line_two": {...}}``
    """
    if ctx.project.property_naming.numbers:
        return
    for prop in schema.property_nodes:
        if _has_digit(prop.name):
            yield prop.pointer, f"property '{prop.path}' contains a number, which the conventions forbid"


@schema_rule("R106", "naming.property_reserved", Level.ERROR)
def property_reserved(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Property names are not in ``conventions.property.reserved`` (case-insensitive).

    Fails (reserved: [timestamp]): ``"properties": {"timestamp": {...}}``
    Passes (reserved: [timestamp]): ``"properties": {"ordered_at": {...}}``
    """
    reserved = ctx.project.property_naming.reserved
    if not reserved:
        return
    for prop in schema.property_nodes:
        if _reserved(prop.name, reserved):
            yield prop.pointer, f"property '{prop.path}' is reserved by the project conventions"


RULES = [event_casing, event_numbers, event_reserved, property_casing, property_numbers, property_reserved]
