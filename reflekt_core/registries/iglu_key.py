"""An Iglu schema key (``iglu:vendor/name/format/version``) and the identity mapping to files.

Identity mapping: ``vendor`` is the plan folder, ``name`` the event folder, and the SchemaVer
version the file name: ``iglu:com.acme/link_click/jsonschema/1-0-2`` <->
``schemas/com.acme/link_click/1-0-2.json``. Both directions are exact, since Iglu's
identifiers are valid folder names as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reflekt_core.errors import RegistryError

VENDOR = re.compile(r"^[a-zA-Z0-9_\-.]+$")
NAME = re.compile(r"^[a-zA-Z0-9_\-]+$")
FORMAT = re.compile(r"^[a-zA-Z0-9_\-]+$")
SCHEMAVER = re.compile(r"^([1-9][0-9]*)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$")


@dataclass(frozen=True, order=True)
class IgluKey:
    vendor: str
    name: str
    format: str
    version: str

    @property
    def parts(self) -> tuple[int, int, int]:
        model, revision, addition = (int(p) for p in self.version.split("-"))
        return model, revision, addition

    @property
    def sort_key(self) -> tuple:
        return self.vendor, self.name, self.format, self.parts

    @property
    def path(self) -> str:
        """Where a static repository keeps it, relative to the repository root."""
        return f"schemas/{self.vendor}/{self.name}/{self.format}/{self.version}"

    @property
    def uri(self) -> str:
        return f"iglu:{self.vendor}/{self.name}/{self.format}/{self.version}"

    @property
    def rel_path(self) -> str:
        """Where a Reflekt project keeps it, relative to ``schemas/``."""
        return f"{self.vendor}/{self.name}/{self.version}.json"

    def self_block(self) -> dict[str, str]:
        return {"vendor": self.vendor, "name": self.name, "format": self.format, "version": self.version}


def key_problem(vendor: Any, name: Any, fmt: Any, version: Any) -> str | None:
    """Why these are not a valid Iglu key (None when they are): checked before any path is built."""
    if not isinstance(vendor, str) or not VENDOR.match(vendor) or vendor.strip(".") == "":
        return f"vendor {vendor!r} is not a valid Iglu vendor (letters, digits, _ - .)"
    if not isinstance(name, str) or not NAME.match(name):
        return f"name {name!r} is not a valid Iglu name (letters, digits, _ -)"
    if not isinstance(fmt, str) or not FORMAT.match(fmt):
        return f"format {fmt!r} is not a valid Iglu format"
    if not isinstance(version, str) or not SCHEMAVER.match(version):
        return f"version {version!r} is not SchemaVer MODEL-REVISION-ADDITION (e.g. 1-0-0)"
    return None


def key_from_path(path: str) -> IgluKey | None:
    """``schemas/vendor/name/format/version`` -> key; None for anything else in the repository."""
    parts = path.split("/")
    if len(parts) != 5 or parts[0] != "schemas" or key_problem(*parts[1:]):
        return None
    return IgluKey(*parts[1:])


def key_from_self(block: Any, where: str) -> IgluKey:
    """The key a schema's ``self`` block declares; a clear error when it is not a valid one."""
    if not isinstance(block, dict):
        raise RegistryError(f"{where}: has no 'self' block with vendor, name, format and version")
    values = [block.get(k) for k in ("vendor", "name", "format", "version")]
    problem = key_problem(*values)
    if problem:
        raise RegistryError(f"{where}: self.{problem}",
                            hint="Iglu keys are vendor/name/format/MODEL-REVISION-ADDITION")
    return IgluKey(*values)
