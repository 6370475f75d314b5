"""JSON Schema validation that is fast when the instance is valid and precise when it is not.

fastjsonschema compiles the schema to Python and answers "valid?" in microseconds;
only for an invalid instance does jsonschema walk it again to list every error
with its path. jsonschema's verdict is the one reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastjsonschema
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError


class Validator:
    """A draft-07 validator: ``iter_errors`` yields jsonschema errors, empty when valid."""

    def __init__(self, schema: dict[str, Any]):
        self._precise = Draft7Validator(schema)
        try:
            self._fast = fastjsonschema.compile(schema, use_default=False, use_formats=False)
        except (fastjsonschema.JsonSchemaDefinitionException, RecursionError):
            self._fast = None  # a schema fastjsonschema cannot compile is still checked precisely

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        if self._fast is not None:
            try:
                self._fast(instance)
                return
            except fastjsonschema.JsonSchemaException:
                pass
            except Exception:  # noqa: BLE001 - fall back to the reference implementation
                pass
        yield from self._precise.iter_errors(instance)
