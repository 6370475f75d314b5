"""What every command shares: consoles, the error boundary, progress and logging.

rich is imported when something is drawn (a console, a progress bar, a log record), not at
start-up: ``reflekt lint --format json`` in CI prints without it.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from reflekt_core import secrets
from reflekt_core.errors import ReflektError, SchemaLoadErrors

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class State:
    debug: bool = False
    verbose: bool = False


state = State()


def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


#: Above this many lines, a list is written as plain text even on a terminal (rich costs ~0.3 ms a line).
STYLED_LINES_MAX = 200


def print_lines(console: Console, lines: list[str], style: str | None = None) -> None:
    """Print ``lines`` as they are (no markup): styled through rich on a terminal when the list is
    short, otherwise in one plain write (a build's 14,000 drift lines took 4 s through rich)."""
    if not lines:
        return
    if console.is_terminal and len(lines) <= STYLED_LINES_MAX:
        for line in lines:
            console.print(line, markup=False, style=style)
        return
    console.file.write("\n".join(lines) + "\n")
    console.file.flush()


def print_error(message: str) -> None:
    """One red line on stderr; secret values are scrubbed first."""
    stderr().print(f"[red]error:[/red] {secrets.redact(message)}", markup=True, highlight=False)


def _report(exc: ReflektError) -> None:
    if isinstance(exc, SchemaLoadErrors):
        for error in exc.errors:
            print_error(str(error).replace("[", "\\["))
    else:
        print_error(str(exc).replace("[", "\\["))
    if state.debug:
        sys.stderr.write(secrets.redact(traceback.format_exc()))


def boundary(func: Callable) -> Callable:
    """The single CLI error boundary: ReflektError -> one line (each) and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ReflektError as exc:
            _report(exc)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            print_error("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: anything else is our bug
            if state.debug:
                sys.stderr.write(secrets.redact(traceback.format_exc()))
            print_error(f"internal error: {type(exc).__name__}: {exc} "
                        "(re-run with --debug for the traceback, and please report it)".replace("[", "\\["))
            raise typer.Exit(2) from None

    return wrapper


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = secrets.redact(str(record.getMessage()))
        record.args = ()
        if not state.debug:  # drivers log tracebacks; only --debug shows them
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


#: Drivers whose own retry and connection chatter is replaced by Reflekt's one error line.
_DRIVER_LOGGERS = ("urllib3", "snowflake", "botocore", "boto3", "google", "redshift_connector", "psycopg",
                   "requests", "s3transfer")


class _LazyRichHandler(logging.Handler):
    """rich's log handler, built (and rich imported) when the first record is emitted."""

    def __init__(self, show_time: bool):
        super().__init__()
        self._show_time = show_time
        self._rich: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._rich is None:
            from rich.logging import RichHandler

            self._rich = RichHandler(console=stderr(), show_path=False, show_time=self._show_time, markup=False)
            self._rich.setFormatter(self.formatter)
        self._rich.emit(record)


def setup_logging(verbose: bool) -> None:
    handler = _LazyRichHandler(show_time=verbose)
    handler.addFilter(_RedactingFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(message)s",
                        handlers=[handler], force=True)
    for noisy in ("filelock", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Retries are reported by the final error (or succeed); drivers' own logs (reprs, tracebacks,
    # retry chatter) are for --debug: --verbose logs what Reflekt does.
    for name in _DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if state.debug else logging.ERROR)


def _maybe_terminal() -> bool:
    """False when rich would certainly not see a terminal on stderr (no tty, no variable saying one)."""
    if os.environ.get("TTY_COMPATIBLE") or os.environ.get("FORCE_COLOR") is not None:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(label: str, threshold: int = 200) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """Yields (set_total, advance); a bar is drawn only on a terminal and for long runs."""
    if not _maybe_terminal():
        yield (lambda total: None), (lambda n: None)
        return
    console = stderr()
    if not console.is_terminal:
        yield (lambda total: None), (lambda n: None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=console, transient=True)
    task = bar.add_task(label, total=None)
    started = False

    def set_total(total: int) -> None:
        nonlocal started
        bar.update(task, total=total)
        if total >= threshold and not started:
            bar.start()
            started = True

    try:
        yield set_total, (lambda n: bar.advance(task, n))
    finally:
        if started:
            bar.stop()
