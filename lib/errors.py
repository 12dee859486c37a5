"""One exception root for ASMIS. Each class's docstring is its default message."""

from __future__ import annotations

from typing import Any


class AsmisError(Exception):
    """ASMIS failed."""

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.details = details
        super().__init__(message or (self.__doc__ or "").strip())


class ConfigError(AsmisError):
    """The configuration is invalid."""


class EmbeddedDatabaseError(AsmisError):
    """The embedded PostgreSQL server could not be used."""


class DatabaseError(AsmisError):
    """A database operation failed."""

    retryable = False


class RetryableDatabaseError(DatabaseError):
    """A database operation failed for a passing reason (connection lost, server restarting, conflict)."""

    retryable = True


class PermanentDatabaseError(DatabaseError):
    """A database operation was refused (constraint violation or bad data); retrying will not help."""


class MigrationError(AsmisError):
    """A migration could not be applied."""


class TranscriptError(AsmisError):
    """A transcript file could not be read."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}", path=str(path))
