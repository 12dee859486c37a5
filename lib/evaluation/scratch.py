"""The calls of a labelled set analysed in a scratch space: each file parsed with lib/transcripts and
each agent run through the Analyser (so the result cache serves a repeat, as in a run), with nothing
written to the transcripts, results or backlog. A file that does not parse is named and counted, and
one failed analysis never stops the rest."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lib.agents.analysis import Analyser
from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.errors import AgentError, TranscriptError
from lib.evaluation.labels import LABELS_FILE, LabelSet
from lib.models import AGENT_TYPES, AgentResult, AgentType, Prompt, Transcript
from lib.transcripts import parse_file

NOT_CALLS = frozenset({LABELS_FILE.lower(), "readme.md"})
NOT_CALL_SUFFIXES = (".py", ".sh", ".csv", ".yaml", ".yml", ".toml")  # a set's own tooling, kept beside it


@dataclass(frozen=True)
class Unparsed:
    file: str
    problem: str


@dataclass
class CallRun:
    """One labelled call's analyses (None for an agent that failed)."""

    file: str
    transcript: Transcript
    meddpic: MeddpicAnalysis | None = None
    stakeholders: StakeholderMap | None = None
    results: list[AgentResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class SetRun:
    calls: list[CallRun]
    unparsed: list[Unparsed]
    unlabelled: list[str]
    prompts: dict[AgentType, Prompt]


def scratch_transcript(index: int, path: Path, max_bytes: int) -> Transcript:
    """A transcript that lives only in this process; negative ids can never name a stored one."""
    parsed = parse_file(path, max_bytes=max_bytes)
    return Transcript(
        id=-index, ingested_at=datetime.now(UTC), source=f"eval:{path.parent.name}", external_id=path.name,
        title=parsed.metadata.get("title") or path.stem, format=parsed.format,
        occurred_at=parsed.occurred_at or datetime.now(UTC), content=parsed.content,
        content_sha256=parsed.content_sha256, turns=[t.model_dump() for t in parsed.turns],
        speakers=parsed.speakers, metadata={**parsed.metadata, "file_name": path.name},
    )


def load_calls(directory: Path, labels: LabelSet, max_bytes: int
               ) -> tuple[list[tuple[str, Transcript]], list[Unparsed], list[str]]:
    """The labelled files that parse, those that do not (or are missing), and files with no labels."""
    parsed: list[tuple[str, Transcript]] = []
    unparsed: list[Unparsed] = []
    for index, name in enumerate(sorted(labels.calls), start=1):
        path = directory / name
        if not path.is_file():
            unparsed.append(Unparsed(name, "labelled, but no such file in the set"))
            continue
        try:
            parsed.append((name, scratch_transcript(index, path, max_bytes)))
        except TranscriptError as exc:
            unparsed.append(Unparsed(name, exc.problem))
    unlabelled = sorted(p.name for p in directory.iterdir()
                        if p.is_file() and not p.name.startswith(".") and p.name.lower() not in NOT_CALLS
                        and not p.name.lower().endswith(NOT_CALL_SUFFIXES)
                        and p.name not in labels.calls)
    return parsed, unparsed, unlabelled


async def analyse_calls(analyser: Analyser, calls: list[tuple[str, Transcript]],
                        prompts: dict[AgentType, Prompt], concurrency: int = 8) -> list[CallRun]:
    gate = asyncio.Semaphore(concurrency)
    runs = [CallRun(name, transcript) for name, transcript in calls]

    async def one(run: CallRun, agent_type: AgentType) -> None:
        prompt = prompts[agent_type]
        async with gate:
            try:
                result = await analyser.analyse(agent_type, run.transcript, prompt)
            except AgentError as exc:
                run.results.append(analyser.failed(agent_type, run.transcript, prompt, exc))
                run.errors.append(f"{agent_type}: {exc}")
                return
        run.results.append(result)
        if agent_type == "meddpic":
            run.meddpic = MeddpicAnalysis.model_validate(result.data)
        else:
            run.stakeholders = StakeholderMap.model_validate(result.data)

    await asyncio.gather(*(one(run, t) for run in runs for t in AGENT_TYPES))
    return runs
