"""The task-level retry policy: retry only what a retry can outlive."""

from __future__ import annotations

from typing import Any

from lib.errors import AgentError, DatabaseError

RETRIES = 3
BACKOFF_SECONDS = [2.0, 8.0, 32.0]  # exponential, with jitter from retry_jitter_factor
JITTER = 0.5


def is_transient(exc: BaseException | None) -> bool:
    return isinstance(exc, AgentError | DatabaseError) and exc.retryable


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: the failed state carries the exception in `state.data`."""
    return is_transient(state.data if isinstance(state.data, BaseException) else None)


TASK_DEFAULTS: dict[str, Any] = {
    "retries": RETRIES,
    "retry_delay_seconds": BACKOFF_SECONDS,
    "retry_jitter_factor": JITTER,
    "retry_condition_fn": retry_if_transient,
    "persist_result": False,  # results hold grounded quotes: customer data stays in Postgres
}
