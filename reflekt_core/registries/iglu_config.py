"""The ``type: iglu`` registry entry: its fields (for the profile schema) and its dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflekt_core.errors import UsageError

KINDS = ("static", "server")
_TEXT = {"type": "string"}
_NUMBER = {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$", "description": "use a number"}
#: Fields of an iglu registry entry in reflekt_profiles.yml (validated with the profile).
FIELDS: dict[str, Any] = {
    "type": _TEXT,
    "uri": _TEXT,
    "kind": {"enum": list(KINDS)},
    "api_key": _TEXT,
    "public": {"type": ["boolean", "string"], "enum": [True, False, "true", "false"]},
    "endpoint_url": _TEXT,
    "region": _TEXT,
    "aws_access_key_id": _TEXT,
    "aws_secret_access_key": _TEXT,
    "timeout": _NUMBER, "retries": _NUMBER, "backoff": _NUMBER, "deadline": _NUMBER,
}
REQUIRED = ["uri"]


@dataclass(frozen=True)
class IgluConfig:
    """Where the Iglu repository is and how to reach it.

    ``uri``: a folder (relative to the project) or ``file://`` URL, ``http(s)://`` (a static
    repository, read-only; an Iglu Server with ``kind: server``) or ``s3://bucket[/prefix]``.
    """

    uri: str
    kind: str = "static"
    api_key: str | None = field(default=None, repr=False)
    public: bool = False
    endpoint_url: str | None = None
    region: str | None = None
    aws_access_key_id: str | None = field(default=None, repr=False)
    aws_secret_access_key: str | None = field(default=None, repr=False)

    @property
    def scheme(self) -> str:
        """``disk``, ``http``, ``s3`` or ``server``."""
        if self.kind == "server":
            return "server"
        lower = self.uri.lower()
        if lower.startswith(("http://", "https://")):
            return "http"
        if lower.startswith("s3://"):
            return "s3"
        return "disk"

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> IgluConfig:
        uri = str(entry.get("uri") or "").strip()
        if not uri:
            raise UsageError("the iglu registry entry has no uri",
                             hint="set uri: a folder, https://..., s3://bucket/prefix, or an Iglu Server URL "
                                  "with kind: server")
        config = cls(uri=uri, kind=entry.get("kind") or "static", api_key=entry.get("api_key") or None,
                     public=str(entry.get("public", False)).lower() == "true",
                     endpoint_url=entry.get("endpoint_url") or None, region=entry.get("region") or None,
                     aws_access_key_id=entry.get("aws_access_key_id") or None,
                     aws_secret_access_key=entry.get("aws_secret_access_key") or None)
        if config.kind == "server" and not uri.lower().startswith(("http://", "https://")):
            raise UsageError(f"iglu kind: server needs an http(s):// uri, not '{uri}'",
                             hint="e.g. uri: https://iglu.example.com")
        return config

    def disk_root(self, project_dir: Path) -> Path:
        path = Path(self.uri[len("file://"):] if self.uri.startswith("file://") else self.uri).expanduser()
        return path if path.is_absolute() else project_dir / path
