"""The digest message: Block Kit sections, one per deal that changed, and a plain-text fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lib.deals.changes import element_changes
from lib.deals.models import DealRollup, StoredDeal
from lib.words import count

MAX_DEALS = 20  # Slack takes at most 50 blocks a message: two per deal, and the header


@dataclass
class DealChange:
    deal_id: str
    new: bool
    moved: dict[str, str] = field(default_factory=dict)  # element -> 'old → new'
    new_warnings: list[str] = field(default_factory=list)  # 'code: message'
    ask_next: str | None = None
    identified: int = 0


@dataclass
class Digest:
    text: str
    blocks: list[dict[str, Any]]
    deals: list[DealChange]


def deal_change(deal: StoredDeal, before: DealRollup | None) -> DealChange | None:
    """What a reader would notice moved since `before`; None when nothing did."""
    after = deal.rollup
    old_codes = {w.code for w in before.warnings} if before else set()
    change = DealChange(deal_id=deal.deal_id, new=before is None, moved=element_changes(before, after),
                        new_warnings=[f"{w.code}: {w.message}" for w in after.warnings if w.code not in old_codes],
                        identified=after.identified())
    if after.next_questions:
        q = after.next_questions[0]
        change.ask_next = f"{q.element.replace('_', ' ')}: {q.question}"
    return change if change.new or change.moved or change.new_warnings else None


def build_digest(deals: list[tuple[StoredDeal, DealRollup | None]]) -> Digest | None:
    """`deals`: each with the roll-up the last digest saw (None: a new deal)."""
    changes = [c for c in (deal_change(d, before) for d, before in deals) if c is not None]
    if not changes:
        return None
    title = f"ASMIS: {count(len(changes), 'deal')} changed overnight"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    lines = [title]
    for c in changes[:MAX_DEALS]:
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(c)}}, {"type": "divider"}]
        lines += ["", *_plain(c)]
    if len(changes) > MAX_DEALS:
        more = f"and {len(changes) - MAX_DEALS} more: `asmis deals`"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
        lines += ["", more]
    return Digest(text="\n".join(lines), blocks=blocks, deals=changes)


def _plain(c: DealChange) -> list[str]:
    lines = [f"{c.deal_id} ({'new deal, ' if c.new else ''}{c.identified}/8 identified)"]
    lines += [f"  {name.replace('_', ' ')}: {move}" for name, move in c.moved.items()]
    lines += [f"  new warning {w}" for w in c.new_warnings]
    if c.ask_next:
        lines.append(f"  ask next: {c.ask_next}")
    return lines


def _mrkdwn(c: DealChange) -> str:
    lines = [f"*{_escape(c.deal_id)}*  {'new deal, ' if c.new else ''}{c.identified}/8 identified"]
    lines += [f"• {name.replace('_', ' ')}: {move}" for name, move in c.moved.items()]
    lines += [f"• :warning: {_escape(w)}" for w in c.new_warnings]
    if c.ask_next:
        lines.append(f"• _ask next_: {_escape(c.ask_next)}")
    return "\n".join(lines)[:3000]  # a section's text is at most 3,000 characters


def _escape(text: str) -> str:
    """Slack's mrkdwn escapes: &, < and > (call text must not ping a channel or make a link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
