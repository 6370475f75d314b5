"""Schema text in generated dbt files is data, never code.

dbt renders every string of a schema YAML file as Jinja (names, descriptions, test
arguments), and every ``.sql`` file is a Jinja template. A description such as
``{{ env_var('X') }}`` would run inside the warehouse job. These helpers write any string
so that, after dbt renders it, the text is exactly the original and nothing has executed.
"""

from __future__ import annotations

import re
from typing import Any

#: dbt wraps a test argument that *looks like* one of these calls in ``{{ }}`` and runs it
#: (dbt/clients/jinja.py ``add_rendered_test_kwargs``), even without braces.
_LOOKS_LIKE_CALL = re.compile(r"^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$", re.DOTALL)
#: A Jinja block, expression or comment starts with ``{`` followed by one of these.
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")
_LITERAL_SAFE = frozenset(" !#$&()*+,-./:;<=>?@[]^_`|~") | frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_OPEN_BRACE = "{{ '{' }}"


class Jinja(str):
    """A string that *is* Jinja on purpose (written by Reflekt, never from a schema)."""


def jinja_text(text: str) -> str:
    """``text`` such that Jinja renders it back to exactly ``text``, executing nothing."""
    if "{" not in text and "\r" not in text and not text.endswith("\n") and not _LOOKS_LIKE_CALL.match(text):
        return text
    escaped = _JINJA_OPENER.sub(lambda _: _OPEN_BRACE, text)
    # Jinja turns \r\n into \n and drops one trailing newline in template text, but not in expressions.
    escaped = escaped.replace("\r", '{{ "\\U0000000d" }}')
    if escaped.endswith("\n"):
        escaped = escaped[:-1] + '{{ "\\U0000000a" }}'
    if _LOOKS_LIKE_CALL.match(escaped):
        # Render the first character through an expression, so dbt's call sniffing no longer matches.
        index = len(escaped) - len(escaped.lstrip())
        escaped = escaped[:index] + f"{{{{ {jinja_literal(escaped[index])} }}}}" + escaped[index + 1:]
    return escaped


def jinja_literal(text: str) -> str:
    """A Jinja string literal (``"..."``) for ``text``, made only of harmless ASCII characters."""
    return '"' + "".join(c if c in _LITERAL_SAFE else f"\\U{ord(c):08x}" for c in text) + '"'


def jinja_data(value: Any) -> Any:
    """Every string in a YAML-bound structure (keys too) escaped with :func:`jinja_text`."""
    if isinstance(value, Jinja):
        return str(value)
    if isinstance(value, str):
        return jinja_text(value)
    if isinstance(value, dict):
        return {jinja_data(k): jinja_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jinja_data(v) for v in value]
    return value


def sql_comment(text: str) -> str:
    """``text`` for a ``--`` comment line: control and line-break characters shown as escapes."""
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)
    return jinja_text(shown)


def sql_string(text: str) -> str:
    """An SQL string literal for ``text``, escaped by the target adapter at compile time."""
    return f"{{{{ reflekt_string({jinja_literal(text)}) }}}}"


__all__ = ["Jinja", "jinja_data", "jinja_literal", "jinja_text", "sql_comment", "sql_string"]
