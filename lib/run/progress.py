"""The latest progress of runs in this process, for a terminal progress bar to read."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lib.run.pipeline import RunSummary

_latest: dict[str, RunSummary] = {}


def publish_progress(summary: RunSummary) -> None:
    _latest[summary.run_id] = summary.model_copy()


def progress_of_all() -> list[RunSummary]:
    return list(_latest.values())
