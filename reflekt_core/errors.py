"""One family of errors, each carrying what went wrong, where, and what to do.

The CLI turns any ``ReflektError`` into a single red line and exit code 2; the
Dagster layer turns it into ``dagster.Failure``. Messages never contain secret
values (see :mod:`reflekt_core.secrets`).
"""

from __future__ import annotations


class ReflektError(Exception):
    """Base class: a problem the user can fix (bad input, config or environment)."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class ProjectConfigError(ReflektError):
    """``reflekt_project.yml`` is missing, unreadable or invalid."""


class ProfileError(ReflektError):
    """``reflekt_profiles.yml`` is missing, unreadable or invalid."""


class SchemaLoadError(ReflektError):
    """An event schema file cannot be read or parsed into a Reflekt schema.

    ``rel_path`` is the file relative to ``schemas/`` when the error is about one schema.
    """

    rel_path: str | None = None


class SelectionError(ReflektError):
    """A ``--select`` / ``--exclude`` value matches nothing or is malformed."""


class UsageError(ReflektError):
    """Options that do not fit together."""


class MissingDependencyError(ReflektError):
    """An optional extra is needed: the message says which ``pip install`` to run."""

    def __init__(self, package: str, extra: str, purpose: str):
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed",
            hint=f'run: pip install "reflekt[{extra}]"',
        )
        self.package = package
        self.extra = extra


class WarehouseError(ReflektError):
    """A warehouse could not be reached or queried."""

    def __init__(self, message: str, *, source_id: str, hint: str | None = None):
        super().__init__(message, where=f"source '{source_id}'", hint=hint)
        self.source_id = source_id


class RegistryError(ReflektError):
    """A schema registry answered with an error or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None, transient: bool = False,
                 hint: str | None = None):
        super().__init__(message, hint=hint)
        self.status = status
        self.transient = transient


class SchemaLoadErrors(ReflektError):
    """Several schema files failed to load; each is reported on its own line."""

    def __init__(self, errors: list[SchemaLoadError]):
        super().__init__(f"{len(errors)} schema file(s) could not be loaded")
        self.errors = errors


class OutputError(ReflektError):
    """An output path Reflekt must not write (a schema, the project, a file for a folder...),
    or writing it failed (no space, no permission). Nothing was written."""
