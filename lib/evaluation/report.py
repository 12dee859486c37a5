"""One evaluation's figures: per-label scores, the calls that could not be scored, grounding, tokens
and dollars; the JSON shape `asmis eval --json` prints, and the mean F1 the gate and `--min-f1` read."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lib.evaluation.estimate import CostEstimate
from lib.evaluation.score import LabelScore
from lib.evaluation.scratch import SetRun, Unparsed


@dataclass
class EvalReport:
    directory: str
    provider: str
    model: str
    prompts: dict[str, str]  # agent type -> version
    scores: dict[str, LabelScore]
    calls: int
    unparsed: list[Unparsed]
    unlabelled: list[str]
    failed: list[str] = field(default_factory=list)  # "file: agent: error"
    quotes_kept: int = 0
    quotes_dropped: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal("0")
    cache_hits: int = 0
    estimate: CostEstimate | None = None  # what the real provider would cost on this set

    @property
    def scored(self) -> dict[str, LabelScore]:
        """The labels some call carries (a label no call has is not part of the mean)."""
        return {name: s for name, s in self.scores.items() if s.support or s.calls}

    @property
    def mean_f1(self) -> float:
        scored = self.scored
        return sum(s.f1 for s in scored.values()) / len(scored) if scored else 0.0

    @property
    def overall(self) -> LabelScore:
        """Every label's counts pooled (micro average)."""
        total = LabelScore()
        for s in self.scored.values():
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
        return total

    @property
    def grounded_rate(self) -> float | None:
        offered = self.quotes_kept + self.quotes_dropped
        return self.quotes_kept / offered if offered else None

    def as_dict(self) -> dict[str, Any]:
        overall = self.overall
        return {
            "set": self.directory, "provider": self.provider, "model": self.model, "prompts": self.prompts,
            "calls": self.calls, "unparsed": [{"call": u.file, "problem": u.problem} for u in self.unparsed],
            "unlabelled": self.unlabelled, "failed": self.failed,
            "labels": {name: s.as_dict() for name, s in self.scored.items()},
            "mean_f1": round(self.mean_f1, 4),
            "overall": {"precision": round(overall.precision, 4), "recall": round(overall.recall, 4),
                        "f1": round(overall.f1, 4), "tp": overall.tp, "fp": overall.fp, "fn": overall.fn},
            "grounded_quote_rate": None if self.grounded_rate is None else round(self.grounded_rate, 4),
            "quotes": {"kept": self.quotes_kept, "dropped": self.quotes_dropped},
            "tokens": {"input": self.input_tokens, "output": self.output_tokens},
            "cost_usd": str(self.cost_usd), "cache_hits": self.cache_hits,
            "estimate": None if self.estimate is None else {
                "model": self.estimate.model, "agent_calls": self.estimate.calls,
                "input_tokens": self.estimate.input_tokens, "output_tokens": self.estimate.output_tokens,
                "cost_usd": str(self.estimate.cost_usd), "per_transcript_usd": str(self.estimate.per_transcript)},
        }


def tally(report: EvalReport, run: SetRun) -> None:
    """Grounding, usage and failures of every analysis in the run."""
    for call in run.calls:
        for result in call.results:
            report.input_tokens += result.input_tokens + result.cache_read_tokens + result.cache_write_tokens
            report.output_tokens += result.output_tokens
            report.cost_usd += result.cost_usd
            report.cache_hits += result.cache_tier is not None
            report.quotes_dropped += sum("dropped a quote" in w for w in result.warnings)
        report.failed += [f"{call.file}: {e}" for e in call.errors]
        if call.meddpic:
            report.quotes_kept += sum(len(e.evidence) for e in call.meddpic.elements().values())
        if call.stakeholders:
            report.quotes_kept += sum(len(p.evidence) for p in call.stakeholders.people)
            report.quotes_kept += sum(len(r.evidence) for r in call.stakeholders.relationships)


def merge_reports(directory: str, reports: dict[str, EvalReport]) -> EvalReport:
    """Several sets' reports pooled into one, each call named `SET/FILE`."""
    first = next(iter(reports.values()))
    merged = EvalReport(directory=directory, provider=first.provider, model=first.model, prompts=first.prompts,
                        scores={}, calls=0, unparsed=[], unlabelled=[])
    for name, report in reports.items():
        for label, score in report.scores.items():
            into = merged.scores.setdefault(label, LabelScore(confusion=_empty_like(score.confusion)))
            into.tp, into.fp, into.fn = into.tp + score.tp, into.fp + score.fp, into.fn + score.fn
            into.missed += [{**m, "call": f"{name}/{m['call']}"} for m in score.missed]
            into.extra += [{**m, "call": f"{name}/{m['call']}"} for m in score.extra]
            into.calls.update({f"{name}/{call}": counts for call, counts in score.calls.items()})
            if score.confusion is not None and into.confusion is not None:
                for wanted, row in score.confusion.items():
                    for got, n in row.items():
                        into.confusion[wanted][got] += n
        merged.calls += report.calls
        merged.unparsed += [Unparsed(f"{name}/{u.file}", u.problem) for u in report.unparsed]
        merged.unlabelled += [f"{name}/{u}" for u in report.unlabelled]
        merged.failed += [f"{name}/{f}" for f in report.failed]
        merged.quotes_kept += report.quotes_kept
        merged.quotes_dropped += report.quotes_dropped
        merged.input_tokens += report.input_tokens
        merged.output_tokens += report.output_tokens
        merged.cost_usd += report.cost_usd
        merged.cache_hits += report.cache_hits
        if report.estimate is not None:
            before = merged.estimate
            merged.estimate = report.estimate if before is None else CostEstimate(
                before.model, before.calls + report.estimate.calls,
                before.input_tokens + report.estimate.input_tokens,
                before.output_tokens + report.estimate.output_tokens, before.cost_usd + report.estimate.cost_usd)
    return merged


def _empty_like(confusion: dict[str, dict[str, int]] | None) -> dict[str, dict[str, int]] | None:
    return None if confusion is None else {w: dict.fromkeys(row, 0) for w, row in confusion.items()}
