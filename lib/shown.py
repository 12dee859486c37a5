"""Data made safe for the terminal: the one boundary every stored or received string crosses on its way to
Rich's `console.print` or a table cell.

Transcripts, file names, titles, speaker names and quotes come from outside. Printed as they are, a
`[/red]` in a title is Rich markup (a MarkupError that stops the command) and an ESC in a speaker name is
a terminal escape (a cleared screen, a changed window title, colours that never end). `shown` escapes
Rich markup and replaces every control character but tab (ESC, the rest of C0, DEL, C1, and the
bidirectional overrides that reorder what is read) with `�`; new lines become spaces unless asked for.
`md` is the same boundary for Markdown (Prefect artifacts): HTML from a transcript (`<script>`, `<img
onerror=...>`) is escaped, so it is shown as text and never rendered. `shown_path` quotes a path the way `repr` does when it holds control characters, so the name is seen as
it is.
"""

from __future__ import annotations

import html
import re

from rich.markup import escape

REPLACEMENT = "\ufffd"
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_CONTROLS}\n]")


def shown(value: object, *, lines: bool = False) -> str:
    """`value` as text Rich prints literally: markup escaped, control characters replaced; a new line
    is kept only with `lines` (a quote shown over several lines), otherwise it becomes a space."""
    return escape(plain(value, lines=lines))


def plain(value: object, *, lines: bool = False) -> str:
    """Control characters replaced but no markup escaping: for a `rich.text.Text`, a table cell given
    as Text, or a Markdown artifact, where markup is not interpreted anyway."""
    text = "" if value is None else str(value)
    pattern = _UNSAFE if lines else _UNSAFE_ONE_LINE
    return pattern.sub(lambda m: " " if m[0] in "\n\r" else REPLACEMENT, text)


def shown_path(path: object) -> str:
    """A file name or path for a line of output: as it is when it is ordinary, `repr`-quoted (`'a\\x1b.txt'`)
    when it holds a control character or a new line; markup escaped either way."""
    text = str(path)
    return escape(repr(text) if _UNSAFE_ONE_LINE.search(text) else text)


def md(value: object) -> str:
    """Text from data for a Markdown artifact: control characters replaced, new lines as spaces, HTML
    escaped (`<` `>` `&`), so a transcript's markup is read as text."""
    return html.escape(plain(value), quote=False)
