"""Keep secret values out of every output: masking for display, redaction for messages."""

from __future__ import annotations

import re
from typing import Any

MASK = "****"

#: Profile keys whose values are secrets, wherever they appear.
SECRET_KEYS = frozenset({
    "password", "api_token", "token", "access_token", "secret", "client_secret",
    "service_account_secret", "private_key", "private_key_passphrase", "keyfile_json",
    "private_key_path_passphrase", "api_key", "apikey", "aws_secret_access_key",
})

_SECRET_KEY_PATTERN = re.compile(r"(password|secret|token|private_key|keyfile_json)", re.I)

# Values registered when profiles load; redact() scrubs them from any text shown to users.
_known_values: set[str] = set()


def is_secret_key(key: str) -> bool:
    return key in SECRET_KEYS or bool(_SECRET_KEY_PATTERN.search(key))


def register(value: Any) -> None:
    """Remember a secret value so that :func:`redact` removes it from messages."""
    if isinstance(value, str) and len(value) >= 4:
        _known_values.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            register(item)


def redact(text: str) -> str:
    """Replace every registered secret value in ``text`` by ``****``."""
    for value in sorted(_known_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def masked(data: Any, key: str = "") -> Any:
    """A copy of ``data`` with the values of secret keys replaced by ``****``."""
    if isinstance(data, dict):
        return {k: masked(v, str(k)) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v, key) for v in data]
    if key and is_secret_key(key) and data not in (None, ""):
        return MASK
    return data
