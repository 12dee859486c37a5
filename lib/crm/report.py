"""A push and the ledger's status as people read them: terminal lines (with values, for the person at
the keyboard) and a Prefect artifact (field names and counts only: values hold call quotes)."""

from __future__ import annotations

from typing import Any

from lib.crm.push import PushReport
from lib.words import count


def summary_line(report: PushReport) -> str:
    verb = "would write" if report.dry_run else "wrote"
    counts = [f"{report.count(o)} {o}" for o in ("written", "would write", "unchanged", "not found", "not a record id",
                                                  "not written", "nothing to write") if report.count(o)]
    fields = sum(len(d.written) for d in report.deals if d.outcome in ("written", "would write"))
    return (f"{report.crm}{' (dry run)' if report.dry_run else ''}: {count(len(report.deals), 'deal')}: "
            f"{', '.join(counts) or 'none'}; {verb} {count(fields, 'field')}; {count(report.conflicts, 'conflict')}")


def push_lines(report: PushReport) -> list[str]:
    lines = [summary_line(report)]
    for d in report.deals:
        lines.append(f"{d.deal_id}  {d.outcome}" + (f" ({d.error})" if d.error else ""))
        for name, value in d.written.items():
            lines.append(f"  write      {name}: {_short(d.before.get(name, ''))!r} -> {_short(value)!r}")
        if d.unchanged:
            lines.append(f"  unchanged  {', '.join(d.unchanged)}")
        for c in d.conflicts:
            who = f" (set by {c.set_by})" if c.set_by else ""
            lines.append(f"  conflict   {c.field}: the CRM has {_short(c.crm_value)!r}{who}; ASMIS would write "
                         f"{_short(c.asmis_value)!r} (left alone; --overwrite {c.field} takes it back)")
    return lines


def push_markdown(report: PushReport) -> str:
    lines = [f"# CRM push: {summary_line(report)}", "", "| deal | outcome | written | unchanged | conflicts |",
             "|---|---|---|---|---|"]
    for d in report.deals:
        lines.append(f"| {d.deal_id} | {d.outcome} | {', '.join(d.written) or '-'} | {len(d.unchanged)} | "
                     f"{', '.join(c.field for c in d.conflicts) or '-'} |")
    return "\n".join(lines)


def status_lines(status: dict[str, Any]) -> list[str]:
    push = status["last_push"]
    lines = [f"{status['crm']}: " + ("no push yet" if push is None else
             f"last push #{push['id']} at {push['started_at']}: {count(push['deals'], 'deal')}, {count(push['written'], 'field')} "
             f"written, {count(push['conflicts'], 'conflict')}, {push['not_found']} not found"
             + (f"; failed: {push['error']}" if push["error"] else ""))]
    for deal in status["deals"]:
        lines.append(f"{deal['deal_id']}")
        by_time: dict[str, list[str]] = {}
        for name, when in sorted(deal["fields"].items()):
            by_time.setdefault(when or "", []).append(name)
        lines += [f"  written {when[:19].replace('T', ' ')}: {', '.join(names)}" for when, names in sorted(by_time.items())]
    lines.append(f"open conflicts: {len(status['conflicts'])}")
    for c in status["conflicts"]:
        who = f" (set by {c['set_by']})" if c["set_by"] else ""
        lines.append(f"  {c['deal_id']} {c['field']}: the CRM has {_short(c['crm_value'])!r}{who}, ASMIS would "
                     f"write {_short(c['asmis_value'])!r}, since {c['since']}")
    return lines


def _short(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"
