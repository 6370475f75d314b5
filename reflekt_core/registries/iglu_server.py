"""Iglu Server's REST API (snowplow/iglu-server, ``SchemaService``), as Reflekt uses it.

- ``GET  /api/schemas?repr=canonical``: every schema the key may read, self-describing;
- ``GET  /api/schemas/{vendor}/{name}/{format}/{version}``: one schema (404 when absent);
- ``PUT  /api/schemas/{vendor}/{name}/{format}/{version}?isPublic=``: 201 created, 200 updated
  (only on a server that allows patches), 409 when the version exists or its predecessor
  is missing, 403 when the key may not write the vendor;
- the API key travels in the ``apikey`` header (a UUID); without one, only public schemas are read.
"""

from __future__ import annotations

from typing import Any

from reflekt_core.errors import RegistryError
from reflekt_core.registries.http import HttpClient, HttpSettings
from reflekt_core.registries.iglu_key import IgluKey, key_from_self
from reflekt_core.schemas.version import IGLU_SELF_DESC


def base_url(uri: str) -> str:
    """The server's root: ``https://iglu.example.com`` and ``https://iglu.example.com/api`` both work."""
    root = uri.rstrip("/")
    return root[: -len("/api")] if root.endswith("/api") else root


def canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """A self-describing schema in the order the server answers with: ``$schema``, ``self``, the body."""
    body = {k: v for k, v in doc.items() if k not in ("$schema", "self")}
    return {"$schema": IGLU_SELF_DESC, "self": doc.get("self"), **body}


class IgluServer:
    writable = True

    def __init__(self, uri: str, api_key: str | None, public: bool, settings: HttpSettings):
        headers = {"Accept": "application/json"}
        if api_key:
            headers["apikey"] = api_key
        self.http = HttpClient("Iglu Server", base_url(uri), headers, settings)
        self.where = base_url(uri)
        self.public = public
        self._all: dict[IgluKey, dict[str, Any]] | None = None

    def all_schemas(self) -> dict[IgluKey, dict[str, Any]]:
        """Every schema the key can read, fetched once per run."""
        if self._all is None:
            try:
                listed = self.http.request("GET", "/api/schemas", params={"repr": "canonical"}, expected=(200,))
            except RegistryError as exc:
                raise _key_error(exc) from None
            if not isinstance(listed, list):
                raise RegistryError("Iglu Server: GET /api/schemas did not answer with a list",
                                    hint="check that uri points at an Iglu Server (kind: server)")
            found: dict[IgluKey, dict[str, Any]] = {}
            for item in listed:
                if isinstance(item, dict):
                    found[key_from_self(item.get("self"), "Iglu Server: a listed schema")] = item
            self._all = found
        return self._all

    def put(self, key: IgluKey, doc: dict[str, Any]) -> None:
        path = f"/api/schemas/{key.vendor}/{key.name}/{key.format}/{key.version}"
        try:
            self.http.request("PUT", path, params={"isPublic": "true" if self.public else "false"}, json=doc,
                              expected=(200, 201))
        except RegistryError as exc:
            # A PUT resent after a lost answer finds its own first copy: that is success, not a conflict.
            if exc.status != 409 or not self._holds(path, doc):
                raise
        if self._all is not None:
            self._all[key] = canonical(doc)

    def _holds(self, path: str, doc: dict[str, Any]) -> bool:
        try:
            held = self.http.request("GET", path, expected=(200,))
        except RegistryError:
            return False
        return isinstance(held, dict) and canonical(held) == canonical(doc)

    def check(self) -> None:
        try:
            self.http.request("GET", "/api/schemas", params={"repr": "uri"}, expected=(200,))
        except RegistryError as exc:
            raise _key_error(exc) from None


def _key_error(exc: RegistryError) -> RegistryError:
    """Iglu Server answers 404 to a listing with an unknown API key, and 400 to a malformed one."""
    if exc.status in (400, 404):
        return RegistryError(f"Iglu Server at the configured uri did not accept the API key ({exc.message})",
                             status=exc.status, hint="check api_key (a UUID issued by the server) and uri")
    return exc
