"""What `asmis eval` and the prompt gate run: the sets under a folder, a provider, the prompts, and
the database only when a stored prompt version is named."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from lib.agents.analysis import Analyser
from lib.cache import ResultCache, open_cache
from lib.db import open_database
from lib.db.prompts import PromptRepository
from lib.evaluation.labels import LABELS_FILE, EvalError
from lib.evaluation.report import EvalReport, merge_reports
from lib.evaluation.run import needs_database, report_for, resolve_prompts, run_set
from lib.llm import make_provider
from lib.llm.base import LLMProvider
from lib.llm.limits import LimitedProvider
from lib.models import AgentType, Prompt
from lib.settings import Settings


def set_dirs(directory: Path) -> list[Path]:
    """DIR itself when it holds labels.json, else its subfolders that do (evals/ holds tune/, holdout/)."""
    if (directory / LABELS_FILE).is_file():
        return [directory]
    if not directory.is_dir():
        raise EvalError(f"{directory}: not a directory")
    found = sorted(p for p in directory.iterdir() if p.is_dir() and (p / LABELS_FILE).is_file())
    if not found:
        raise EvalError(f"{directory}: no {LABELS_FILE} here or in any folder below it")
    return found


@dataclass
class Evaluator:
    """One provider and cache for every set and prompt version evaluated in a command."""

    settings: Settings
    provider: LLMProvider
    cache: ResultCache
    repo: PromptRepository | None = None

    async def prompts(self, chosen: Mapping[AgentType, str]) -> dict[AgentType, Prompt]:
        return await resolve_prompts(chosen, self.repo)

    async def evaluate(self, directory: Path, prompts: dict[AgentType, Prompt]) -> tuple[EvalReport, dict[str, EvalReport]]:
        """The pooled report and, when DIR holds several sets, each set's own."""
        analyser = Analyser(self.provider, self.cache)
        reports: dict[str, EvalReport] = {}
        for folder in set_dirs(directory):
            run = await run_set(folder, analyser, prompts, max_bytes=self.settings.ingest_max_bytes,
                                concurrency=self.settings.llm_concurrency)
            reports[folder.name] = report_for(folder, run, self.provider, self.settings.model)
        if len(reports) == 1:
            return next(iter(reports.values())), {}
        return merge_reports(str(directory), reports), reports


@asynccontextmanager
async def open_evaluator(settings: Settings, *chosen: Mapping[AgentType, str],
                         provider: LLMProvider | None = None, repo: PromptRepository | None = None
                         ) -> AsyncIterator[Evaluator]:
    """A provider from the settings (or `provider`); the database opened when a stored prompt version is
    named in any of `chosen` and no `repo` is given."""
    own = provider is None
    inner = provider or make_provider(settings)
    limited = LimitedProvider(inner, settings.llm_concurrency, None)
    scratch = tempfile.TemporaryDirectory(prefix="asmis-eval-") if inner.name == "offline" else None
    # The offline provider costs nothing, and a working copy's rules change under the same model id:
    # its results are kept for this command only. Paid providers use the cache as a run does.
    cache = ResultCache(Path(scratch.name)) if scratch else open_cache(settings)
    try:
        if repo is not None or not any(needs_database(c) for c in chosen):
            yield Evaluator(settings, limited, cache, repo)
        else:
            async with open_database(settings, create=False) as pool:
                yield Evaluator(settings, limited, cache, PromptRepository(pool))
    finally:
        cache.close()
        if scratch is not None:
            scratch.cleanup()
        close = getattr(inner, "aclose", None)
        if own and close is not None:
            await close()
