"""Where a schema file's identity lives in its path, for the two layouts Reflekt reads.

- ``reflekt``: ``schemas/<plan>/<Event_Name>/<version>.json`` (a project);
- ``iglu``: ``schemas/<vendor>/<name>/<format>/<version>``, files without extension
  (an Iglu static repository, as igluctl and every Iglu client read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

REFLEKT = "reflekt"
IGLU = "iglu"


@dataclass(frozen=True)
class FileIdentity:
    plan: str          # first folder: the tracking plan, or the Iglu vendor
    event: str         # the event folder, or the Iglu name
    version: str       # the file name without ``.json``
    event_dir: str     # groups the versions of one event
    format: str | None = None


@lru_cache(maxsize=1024)
def file_identity(rel_path: str, layout: str = REFLEKT) -> FileIdentity | None:
    """The identity a path gives a schema; None when the path has no room for one.

    Memoised (the result is immutable): several identity rules ask it of every schema in turn.
    """
    parts = rel_path.split("/")
    if layout == IGLU:
        if len(parts) != 4:
            return None
        return FileIdentity(parts[0], parts[1], parts[3], "/".join(parts[:3]), parts[2])
    if len(parts) < 2 or not parts[-1].endswith(".json"):
        return None
    return FileIdentity(parts[0], parts[-2] if len(parts) > 2 else "", parts[-1][: -len(".json")],
                        "/".join(parts[:-1]))
