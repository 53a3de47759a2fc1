"""Error types and the process exit codes they map to."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Stable exit codes of the command-line tool (see DESIGN.md)."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    NO_INPUT = 3
    BAD_CATALOGUE = 4


class LogsleuthError(Exception):
    """Base class of every error logsleuth reports to a user without a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SourceError(LogsleuthError):
    """A source could not be read (missing, permission denied, corrupt, not a log)."""

    exit_code = ExitCode.NO_INPUT

    def __init__(self, path: str, message: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: {message}", hint)
        self.path = path
        self.reason = message


class CatalogueError(LogsleuthError):
    """The pattern catalogue failed validation; carries every problem found."""

    exit_code = ExitCode.BAD_CATALOGUE

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"pattern catalogue has {len(problems)} problem(s):\n  " + "\n  ".join(problems)
        )
        self.problems = problems


class StoreError(LogsleuthError):
    """The DuckDB store could not be opened or written (e.g. locked by another process)."""

    exit_code = ExitCode.NO_INPUT
