"""What `asmis eval` prints: a per-label table, what was missed, status confusion, and the totals;
for `--compare`, each label's change and the calls that flipped."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from lib.evaluation.report import EvalReport
from lib.evaluation.score import STATUSES, LabelScore
from lib.shown import shown, shown_path
from lib.words import count

MAX_LISTED = 6


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def scores_table(report: EvalReport, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("label", no_wrap=True)
    for name in ("calls", "tp", "fp", "fn", "P", "R", "F1", "acc"):
        table.add_column(name, justify="right", no_wrap=True)
    for name, s in report.scored.items():
        table.add_row(name, str(len(s.calls)), str(s.tp), str(s.fp), str(s.fn), _f(s.precision), _f(s.recall),
                      _f(s.f1), _f(s.accuracy))
    overall = report.overall
    table.add_row("overall", str(report.calls), str(overall.tp), str(overall.fp), str(overall.fn),
                  _f(overall.precision), _f(overall.recall), _f(overall.f1), "", style="bold")
    return table


def print_report(console: Console, report: EvalReport, title: str | None = None, details: bool = True) -> None:
    console.print(scores_table(report, title or f"{report.directory}: {report.provider} ({report.model}), "
                               + ", ".join(f"{a} {v}" for a, v in report.prompts.items())))
    if details:
        for name, s in report.scored.items():
            _print_misses(console, name, s)
        _print_confusion(console, report)
    for item in report.unparsed:
        console.print(f"unparsed  {shown_path(item.file)}: {shown(item.problem)}", highlight=False)
    for failure in report.failed:
        console.print(f"failed    {shown(failure)}", highlight=False)
    rate = report.grounded_rate
    console.print(
        f"{count(report.calls, 'call')} scored, {len(report.unparsed)} unparsed, {count(len(report.failed), 'analysis', 'analyses')} failed; "
        f"grounded quotes {_f(rate)} ({report.quotes_kept} kept, {report.quotes_dropped} dropped); "
        f"tokens {report.input_tokens:,} in / {report.output_tokens:,} out; ${report.cost_usd} "
        f"({report.cache_hits} analyses from the cache)", highlight=False)
    if report.estimate is not None and report.provider == "offline":
        e = report.estimate
        console.print(f"once ANTHROPIC_API_KEY is set, {e.model} (ASMIS_MODEL) would take about {e.input_tokens:,} "
                      f"input and {e.output_tokens:,} output tokens: ${e.cost_usd} for the set, ${e.per_transcript} "
                      "a call (estimated from its characters)", highlight=False)
    console.print(f"mean F1 {report.mean_f1:.3f}", style="bold", highlight=False)


def _print_misses(console: Console, name: str, score: LabelScore) -> None:
    for kind, items in (("missed", score.missed), ("extra", score.extra)):
        if not items:
            continue
        listed = "; ".join(f"{shown(m['call'])}: {shown(m['item'])}" for m in items[:MAX_LISTED])
        more = f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
        console.print(f"  {name} {kind}: {listed}{more}", highlight=False, soft_wrap=True)


def _print_confusion(console: Console, report: EvalReport) -> None:
    rows = [(n, s) for n, s in report.scored.items() if s.confusion is not None and s.calls]
    if not rows:
        return
    table = Table(title="MEDDPICC status: labelled -> got identified/partial/missing (calls)", title_justify="left")
    table.add_column("element", no_wrap=True)
    for wanted in STATUSES:
        table.add_column(f"{wanted} ->", justify="center", no_wrap=True)
    for name, s in rows:
        assert s.confusion is not None
        confusion = s.confusion
        table.add_row(name.removeprefix("status."),
                      *("/".join(str(confusion[w][g]) for g in STATUSES) for w in STATUSES))
    console.print(table)


def print_comparison(console: Console, old: EvalReport, new: EvalReport, agent: str) -> None:
    table = Table("label", f"F1 {old.prompts[agent]}", f"F1 {new.prompts[agent]}", "change", "recall change",
                  title=f"{agent}: {old.prompts[agent]} -> {new.prompts[agent]}", title_justify="left")
    for name in dict.fromkeys([*old.scored, *new.scored]):
        a, b = old.scores[name], new.scores[name]
        table.add_row(name, _f(a.f1), _f(b.f1), f"{b.f1 - a.f1:+.2f}", f"{b.recall - a.recall:+.2f}")
    table.add_row("mean F1", f"{old.mean_f1:.3f}", f"{new.mean_f1:.3f}", f"{new.mean_f1 - old.mean_f1:+.3f}", "",
                  style="bold")
    console.print(table)
    flips = flipped(old, new)
    for line in flips:
        console.print(f"  {line}", highlight=False)
    if not flips:
        console.print("no call changed on any label", highlight=False)


def flipped(old: EvalReport, new: EvalReport) -> list[str]:
    """Calls whose counts on a label changed: `label FILE: better|worse (tp fp fn) -> (tp fp fn)`."""
    lines = []
    for name in dict.fromkeys([*old.scored, *new.scored]):
        a, b = old.scores[name].calls, new.scores[name].calls
        for call in sorted(set(a) | set(b)):
            before, after = a.get(call, (0, 0, 0)), b.get(call, (0, 0, 0))
            if before != after:
                better = (after[0] - after[1] - after[2]) > (before[0] - before[1] - before[2])
                lines.append(f"{name} {call}: {'better' if better else 'worse'} "
                             f"(tp {before[0]} fp {before[1]} fn {before[2]} -> tp {after[0]} fp {after[1]} fn {after[2]})")
    return lines
