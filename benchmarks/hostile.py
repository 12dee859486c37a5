"""Hostile and huge inputs: parse time and peak memory as the input doubles, so linearity shows as a ratio.

    python -m benchmarks.hostile [--doublings 3] [--scale 1.0] [--only txt-wrapped,vtt] [--limits]

Each case is generated here (nothing read from disk) and measured in a fresh child process (so its peak
resident memory is its own): the seconds `parse_bytes` takes, or for `captions-offline` parsing plus the
offline extractor's two analyses. Printed per case and size: bytes, turns, seconds, the ratio to the
size before (about 2.0 for a doubling when the cost is linear, about 4.0 when it is quadratic) and the
peak RSS of the child. `--limits` runs each case once at the 8 MB size limit (the docx cases at their
own bounds) to check the goal: every input done within 30 s and 1 GB.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import resource
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

LIMIT = 8 * 1024 * 1024
_WORDS = "so we looked at the rollout plan with the team last week and the budget is not final yet".split()

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(paragraphs: Iterable[str]) -> bytes:
    """A minimal Word document: one `<w:p>` per string, the XML streamed into the archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'
                       .encode())
            for p in paragraphs:
                part.write(f'<w:p><w:r><w:t xml:space="preserve">{p}</w:t></w:r></w:p>'.encode())
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


def _words(i: int, n: int) -> str:
    return " ".join(_WORDS[(i + k) % len(_WORDS)] for k in range(n))


def wrapped_txt(n: int) -> bytes:
    """One labelled line, then n unlabelled wrapped lines: one long turn."""
    return ("Lena Park: hello\n" + "".join(f"{_words(i, 6)}\n" for i in range(n))).encode()


def prose(n: int) -> bytes:
    """n lines of prose with no speaker label at all."""
    return "".join(f"{_words(i, 8).capitalize()}.\n" for i in range(n)).encode()


def _clock(ms: int, comma: bool = False) -> str:
    s = ms // 1000
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{',' if comma else '.'}{ms % 1000:03d}"


def vtt(n: int) -> bytes:
    """A one-speaker Zoom caption file of n cues."""
    cues = (f"{i + 1}\n{_clock(i * 2000)} --> {_clock(i * 2000 + 1500)}\nMaya Chen: {_words(i, 6)}\n\n"
            for i in range(n))
    return ("WEBVTT\n\n" + "".join(cues)).encode()


def srt(n: int) -> bytes:
    cues = (f"{i + 1}\n{_clock(i * 2000, True)} --> {_clock(i * 2000 + 1500, True)}\nMaya Chen: {_words(i, 6)}\n\n"
            for i in range(n))
    return "".join(cues).encode()


def teams_docx(n: int) -> bytes:
    """A Teams .docx (timing-line shape) of n blocks by one speaker."""
    paragraphs = ["Kestrel Foods pricing", "March 3, 2026, 2:00PM"]
    for i in range(n):
        s = i * 2
        paragraphs += [f"0:{s // 60}:{s % 60}.000 --&gt; 0:{s // 60}:{s % 60}.900", "Lena Park", _words(i, 6)]
    return docx_bytes(paragraphs)


def docx_nodes(n: int) -> bytes:
    """n one-letter paragraphs: small on disk, many XML nodes once unpacked."""
    return docx_bytes(itertools.repeat("a", n))


def captions_unpunctuated(n: int) -> bytes:
    """Caption text with no sentence end or clause break: one sentence the size of the file."""
    cues = (f"{i + 1}\n{_clock(i * 2000)} --> {_clock(i * 2000 + 1500)}\nMaya Chen: budget {_words(i, 5)}\n\n"
            for i in range(n))
    return ("WEBVTT\n\n" + "".join(cues).replace(" and ", " plus ").replace(" so ", " then ")).encode()


# name: (generator, suffix, base count, count at the 8 MB limit, with the offline analysis)
CASES: dict[str, tuple[Callable[[int], bytes], str, int, int, bool]] = {
    "txt-wrapped": (wrapped_txt, ".txt", 20_000, 220_000, False),
    "prose": (prose, ".txt", 10_000, 150_000, False),
    "vtt": (vtt, ".vtt", 10_000, 110_000, False),
    "srt": (srt, ".srt", 10_000, 110_000, False),
    "docx": (teams_docx, ".docx", 10_000, 50_000, False),
    "docx-nodes": (docx_nodes, ".docx", 100_000, 1_000_000, False),
    "captions-offline": (captions_unpunctuated, ".vtt", 2_000, 100_000, True),
}


def measure(case: str, count: int) -> dict[str, object]:
    """In this process: generate, parse (and analyse), report seconds, turns and peak RSS."""
    from lib.errors import TranscriptError
    from lib.transcripts import parse_bytes

    make, suffix, _, _, offline = CASES[case]
    data = make(count)
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    outcome = "ok"
    turns = 0
    try:
        parsed = parse_bytes(data, name=f"hostile{suffix}", max_bytes=max(LIMIT, len(data)))
        turns = len(parsed.turns)
        if offline:
            from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
            from lib.llm.offline.provider import OfflineProvider

            rows: list[dict[str, object]] = [t.model_dump() for t in parsed.turns]
            OfflineProvider().extract(MeddpicAnalysis, rows)
            OfflineProvider().extract(StakeholderMap, rows)
    except TranscriptError as exc:
        outcome = f"refused: {exc.problem[:60]}"
    seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"bytes": len(data), "turns": turns, "seconds": seconds, "peak_mb": peak_kb / 1024,
            "base_mb": base_kb / 1024, "outcome": outcome}


def run_child(case: str, count: int, timeout: float) -> dict[str, object]:
    try:
        # by path, not `-m`: `lib` then comes from PYTHONPATH, so the same file can time another checkout
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", case, str(count)],
                              capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"bytes": 0, "turns": 0, "seconds": timeout, "peak_mb": 0.0, "base_mb": 0.0,
                "outcome": f"over {timeout:.0f} s, stopped"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--doublings", type=int, default=3, help="sizes: 1x, 2x, ... 2^(n-1)x (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--limits", action="store_true", help="each case once at the size limit")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a child is stopped")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    names = [n for n in CASES if not args.only or n in args.only.split(",")]
    print(f"{'case':<17} {'bytes':>11} {'turns':>7} {'seconds':>8} {'ratio':>6} {'peak MB':>8}  outcome")
    for name in names:
        _, _, base, at_limit, _ = CASES[name]
        counts = [at_limit] if args.limits else [int(base * args.scale) * 2 ** k for k in range(args.doublings)]
        previous: float | None = None
        for count in counts:
            r = run_child(name, count, args.timeout)
            seconds = float(r["seconds"])  # type: ignore[arg-type]
            ratio = f"{seconds / previous:6.2f}" if previous else "     -"
            previous = seconds if seconds > 0 else None
            print(f"{name:<17} {r['bytes']:>11,} {r['turns']:>7,} {seconds:8.2f} {ratio} "
                  f"{float(r['peak_mb']):8.0f}  {r['outcome']}", flush=True)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
