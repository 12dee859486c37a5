"""Counts in words: `1 file`, `2 files`. The bottom room: it imports nothing of ASMIS."""

from __future__ import annotations

_IRREGULAR = {"person": "people", "property": "properties", "entry": "entries", "summary": "summaries",
              "batch": "batches", "match": "matches", "is": "are", "was": "were"}


def plural(word: str, count: int) -> str:
    """`word` as it goes with `count`: 'file' for 1, 'files' otherwise."""
    if count == 1:
        return word
    return _IRREGULAR.get(word, word + "s")


def count(n: int, word: str, many: str | None = None) -> str:
    """'1 file', '2 files', '0 files' (`many` for a plural the rule does not know)."""
    return f"{n} {word if n == 1 else many or plural(word, n)}"
