"""Evaluate one labelled set: resolve the prompt versions, analyse in the scratch space, score."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from lib.agents.analysis import Analyser
from lib.cache import ResultCache
from lib.db.prompts import PromptRepository, prompt_version
from lib.evaluation.estimate import estimate_cost
from lib.evaluation.labels import EvalError, load_labels
from lib.evaluation.report import EvalReport, tally
from lib.evaluation.score import score_calls
from lib.evaluation.scratch import SetRun, analyse_calls, load_calls
from lib.llm.base import LLMProvider
from lib.models import AGENT_TYPES, AgentType, Prompt
from lib.prompt_files import PROMPTS_DIR, read_prompt_files


def file_prompt(agent_type: AgentType, path: Path) -> Prompt:
    """A prompt file as a version that lives only in this process (id 0: never stored)."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"{path}: cannot read the prompt file: {exc}") from None
    if not content.strip():
        raise EvalError(f"{path}: prompt file is empty")
    return Prompt(id=0, agent_type=agent_type, version=prompt_version(content), content=content,
                  content_sha256=hashlib.sha256(content.encode()).hexdigest(), is_active=False,
                  source_path=str(path), created_at=datetime.now(UTC))


def parse_prompt_options(options: list[str]) -> dict[AgentType, str]:
    """`meddpic=VERSION` (a stored version, or a prompt file's path) per agent type."""
    chosen: dict[AgentType, str] = {}
    for option in options:
        raw, sep, version = option.partition("=")
        agent = cast(AgentType, raw.strip())
        if not sep or not version.strip():
            raise EvalError(f"--prompt {option!r}: expected AGENT=VERSION (e.g. meddpic=3f2a9c1b04de)")
        if agent not in AGENT_TYPES:
            raise EvalError(f"--prompt {option!r}: unknown agent type {agent!r} (expected one of "
                            f"{', '.join(AGENT_TYPES)})")
        chosen[agent] = version.strip()
    return chosen


async def resolve_prompts(chosen: Mapping[AgentType, str], repo: PromptRepository | None,
                          directory: Path = PROMPTS_DIR) -> dict[AgentType, Prompt]:
    """Each agent's prompt: the version named (a file path, else a stored version), else its file."""
    files = read_prompt_files(directory)
    prompts: dict[AgentType, Prompt] = {}
    for agent_type in AGENT_TYPES:
        wanted = chosen.get(agent_type)
        if wanted is None:
            if agent_type not in files:
                raise EvalError(f"{directory}: no {agent_type}.md prompt file")
            prompts[agent_type] = file_prompt(agent_type, files[agent_type])
        elif Path(wanted).is_file():
            prompts[agent_type] = file_prompt(agent_type, Path(wanted))
        elif repo is None:
            raise EvalError(f"{agent_type} prompt {wanted!r}: not a file, and no database to look versions up in")
        else:
            prompts[agent_type] = await repo.find(agent_type, wanted)
    return prompts


def needs_database(chosen: Mapping[AgentType, str]) -> bool:
    return any(not Path(v).is_file() for v in chosen.values())


async def run_set(directory: Path, analyser: Analyser, prompts: dict[AgentType, Prompt], *,
                  max_bytes: int, concurrency: int = 8) -> SetRun:
    labels = load_labels(directory)
    calls, unparsed, unlabelled = load_calls(directory, labels, max_bytes)
    runs = await analyse_calls(analyser, calls, prompts, concurrency)
    return SetRun(runs, unparsed, unlabelled, prompts)


async def evaluate(directory: Path, provider: LLMProvider, cache: ResultCache, prompts: dict[AgentType, Prompt],
                   *, max_bytes: int, concurrency: int = 8) -> EvalReport:
    run = await run_set(directory, Analyser(provider, cache), prompts, max_bytes=max_bytes,
                        concurrency=concurrency)
    return report_for(directory, run, provider)


def report_for(directory: Path, run: SetRun, provider: LLMProvider, price_model: str | None = None) -> EvalReport:
    labels = load_labels(directory)
    report = EvalReport(
        directory=str(directory), provider=provider.name, model=provider.model,
        prompts={t: p.version for t, p in run.prompts.items()},
        scores=score_calls(run.calls, labels.calls), calls=len(run.calls), unparsed=run.unparsed,
        unlabelled=run.unlabelled)
    tally(report, run)
    if price_model is not None:
        report.estimate = estimate_cost(run, price_model)
    return report
