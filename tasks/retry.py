"""The task-level retry policy: retry only what a retry can outlive."""

from __future__ import annotations

from typing import Any

from lib.errors import is_retryable
from lib.settings import get_settings

RETRIES = 3
# Exponential (base, 4x base, 16x base), with jitter from retry_jitter_factor.
BACKOFF_SECONDS = [get_settings().task_retry_base_seconds * 4**n for n in range(RETRIES)]
JITTER = 0.5


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect's retry_condition_fn: the failed state carries the exception in `state.data`."""
    return is_retryable(state.data if isinstance(state.data, BaseException) else None)


TASK_DEFAULTS: dict[str, Any] = {
    "retries": RETRIES,
    "retry_delay_seconds": BACKOFF_SECONDS,
    "retry_jitter_factor": JITTER,
    "retry_condition_fn": retry_if_transient,
    "persist_result": False,  # results hold grounded quotes: customer data stays in Postgres
}
