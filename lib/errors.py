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


class NoDatabaseError(EmbeddedDatabaseError):
    """There is no database yet: make one with `asmis db start` (or `make demo`), or set ASMIS_DATABASE_URL."""


class PrefectServerError(AsmisError):
    """The local Prefect server could not be used."""


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


class AgentError(AsmisError):
    """An agent could not analyse a transcript."""

    retryable = False

    def __init__(self, message: str | None = None, *, attempts: int = 0, usage: object = None,
                 errors: list[str] | None = None, cost_usd: object = None, **details: object) -> None:
        self.attempts = attempts
        self.usage = usage
        self.errors = list(errors or [])
        self.cost_usd = cost_usd  # what the attempts so far cost, when the agent priced them
        super().__init__(message, **details)


class RetryableAgentError(AgentError):
    """The LLM call failed for a passing reason (rate limit, overload, timeout, connection loss)."""

    retryable = True


class PermanentAgentError(AgentError):
    """The LLM call cannot succeed as asked (invalid request, authentication, spend limit, input too
    large, or output that never validated)."""


class CrmError(AsmisError):
    """The CRM could not be used."""

    retryable = False


class CrmUnavailable(CrmError):
    """The CRM could not be reached (network, 5xx or 429 after every retry)."""

    retryable = True


class CrmAuthError(CrmError):
    """The CRM refused the credentials."""


class DigestError(AsmisError):
    """The Slack digest could not be sent."""


def is_retryable(exc: BaseException | None) -> bool:
    """True for failures a later attempt can outlive (rate limits, overload, a lost connection)."""
    return isinstance(exc, AgentError | DatabaseError | SourceError | CrmError) and exc.retryable


class BatchIncomplete(RetryableAgentError):
    """Some items of an agent batch failed for a passing reason; the others are saved."""


class MessageBatchError(AgentError):
    """A Message Batch could not be submitted or read."""

    retryable = True

    def __init__(self, message: str | None = None, *, uncertain: bool = False, retryable: bool = True,
                 batch: str | None = None) -> None:
        self.uncertain = uncertain  # the create call may have made a batch: recovery will look for it
        self.retryable = retryable
        super().__init__(message, batch=batch)


class SourceError(AsmisError):
    """A transcript source could not be read."""

    retryable = False

    def __init__(self, message: str | None = None, *, source: str = "", retryable: bool = False) -> None:
        self.source = source
        self.retryable = retryable
        super().__init__(message, source=source)
