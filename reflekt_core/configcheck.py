"""Validate YAML config against a JSON Schema and explain failures in one line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reflekt_core.errors import ReflektError
from reflekt_core.yamlfile import YamlDocument

if TYPE_CHECKING:  # jsonschema is imported when a file is validated, not by every command's start-up
    from jsonschema.exceptions import ValidationError

_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string",
               "boolean": "true or false", "integer": "a whole number", "number": "a number",
               "null": "empty"}


def _dotted(keys) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def _describe(error: ValidationError, show_values: bool) -> str:
    validator, value = error.validator, error.instance
    shown = repr(value) if show_values else "this value"
    if validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return f"{shown} is not allowed; use one of: {allowed}"
    if validator == "additionalProperties":
        allowed_keys = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed_keys)) if isinstance(value, dict) else []
        unknown = ", ".join(repr(k) for k in extra)
        hint = f"; allowed keys: {', '.join(allowed_keys)}" if allowed_keys else ""
        return f"unknown key {unknown}{hint}"
    if validator == "required":
        return "is required but missing"
    if validator == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        return f"expected {' or '.join(_TYPE_NAMES.get(w, w) for w in wanted)}"
    if validator == "pattern":
        description = error.schema.get("description")
        return f"{shown} is not valid" + (f": {description}" if description else "")
    return error.message if show_values else f"invalid value ({validator})"


def validate_config(doc: YamlDocument, schema: dict[str, Any], error: type[ReflektError], *,
                    show_values: bool = True, what: str = "file") -> None:
    """Raise ``error`` naming file, line and key for the most relevant violation."""
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import best_match

    errors = list(Draft7Validator(schema).iter_errors(doc.data))
    if not errors:
        return
    worst = best_match(errors)
    path = list(worst.absolute_path)
    if worst.validator == "additionalProperties" and isinstance(worst.instance, dict):
        extra = sorted(set(worst.instance) - set(worst.schema.get("properties", {})))
        if extra:
            path = path + [extra[0]]
    if worst.validator == "required":
        missing = [k for k in worst.validator_value if k not in (worst.instance or {})]
        path = path + missing[:1]
    raise error(f"key '{_dotted(path)}': {_describe(worst, show_values)}", where=doc.where(path),
                hint=f"see the {what} reference in the README")
