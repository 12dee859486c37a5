"""Hostile and huge inputs (issue 36): linear parsing, bounded memory, no markup or terminal escapes from
data, no reads outside a folder. Every input is made here.

The cost cases run in a child process under a CPU-time limit (RLIMIT_CPU, so the load of other processes
does not count) sized for the old quadratic code: 240 KB of wrapped lines took it ~100 s. Linear code
takes a fraction of a second; the limit is a guard against a hang, not a pace the code must keep (the
figures are benchmarks/hostile.py's). The memory case reads the child's peak resident size."""

from __future__ import annotations

import asyncio
import io
import json
import resource
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.deals.people import natural_name
from lib.errors import TranscriptError
from lib.models import AGENT_TYPES
from lib.run.runtime import Runtime
from lib.settings import Settings
from lib.shown import md, shown, shown_path
from lib.transcripts import parse_bytes

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
CPU_SECONDS = 60  # the old code needed minutes for each input below; the new a second or less
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _in_child(code: str, *, cpu: int = CPU_SECONDS, memory_mb: int = 2048) -> tuple[dict[str, object], int]:
    """Run `code` (which sets `out`, a JSON-able dict) in a fresh interpreter under CPU and address-space
    limits; returns `out` and the child's peak RSS in MB: VmHWM, read by the child itself (ru_maxrss survives
    exec, so it would start at the forking pytest's size, and RUSAGE_CHILDREN is the largest of every process
    this test session ever waited for)."""
    script = (f"import json\nout = {{}}\n{code}\n"
              "out['_peak_kb'] = next(int(line.split()[1]) for line in open('/proc/self/status')"
              " if line.startswith('VmHWM:'))\nprint(json.dumps(out))")

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          preexec_fn=limits, check=False)  # noqa: PLW1509 - limits only, no threads here
    assert done.returncode == 0, f"child stopped ({done.returncode}): {done.stderr[-600:]}"
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out, int(out.pop("_peak_kb")) // 1024


def _parse_in_child(make: str, name: str, extra: str = "") -> dict[str, object]:
    code = (f"from lib.transcripts import parse_bytes\n{make}\n"
            f"p = parse_bytes(data, name={name!r}, max_bytes=8 * 1024 * 1024)\n"
            "out.update(turns=len(p.turns), chars=sum(len(t.text) for t in p.turns), "
            "first=p.turns[0].text[:40], start=p.turns[0].start_ms, end=p.turns[-1].end_ms)\n" + extra)
    return _in_child(code)[0]


# --- 1. linear turn building ---------------------------------------------------------------------------

def test_240_kb_of_wrapped_lines_is_one_turn_in_linear_time() -> None:
    out = _parse_in_child('data = b"Lena Park: start\\n" + b"a\\n" * 120_000', "wrapped.txt")
    assert out["turns"] == 1 and out["chars"] == len("start") + 2 * 120_000


def test_a_megabyte_of_unlabelled_prose_is_one_turn_in_linear_time() -> None:
    out = _parse_in_child('data = "".join(f"The plan for week {i} is not final yet.\\n" for i in range(25_000)).encode()',
                          "notes.txt")
    assert out["turns"] == 1 and str(out["first"]).startswith("The plan for week 0")


def test_a_one_speaker_caption_file_of_many_cues_merges_in_linear_time() -> None:
    make = ('def t(ms): s = ms // 1000; return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms % 1000:03d}"\n'
            'data = ("WEBVTT\\n\\n" + "".join(f"{i + 1}\\n{t(i * 2000)} --> {t(i * 2000 + 1500)}\\n'
            'Maya Chen: part {i} of it\\n\\n" for i in range(60_000))).encode()')
    out = _parse_in_child(make, "zoom.vtt")
    assert out["turns"] == 1 and out["start"] == 0 and out["end"] == 59_999 * 2000 + 1500


def test_more_turns_than_the_limit_are_refused_with_the_limit_named() -> None:
    data = "".join(f"Speaker {i % 2}: line {i}\n" for i in range(100_002)).encode()
    with pytest.raises(TranscriptError, match="more than 100,000 speaker turns"):
        parse_bytes(data, name="many.txt", max_bytes=8 * 1024 * 1024)


def test_offline_analysis_of_unpunctuated_captions_is_linear() -> None:
    """One sentence of ~1 MB with a keyword every few words: `snippet` once rescanned it per match."""
    code = ("from lib.llm.offline.provider import OfflineProvider\n"
            "from lib.agents.schemas import MeddpicAnalysis, StakeholderMap\n"
            "text = ' '.join(f'our budget for the rollout phase {i} is open' for i in range(25_000))\n"
            "turns = [{'speaker': 'Maya Chen', 'start_ms': 0, 'text': text}, {'speaker': 'Lena Park', 'start_ms': 9,"
            " 'text': 'What budget do you have for it?'}]\n"
            "m = OfflineProvider().extract(MeddpicAnalysis, turns)\n"
            "OfflineProvider().extract(StakeholderMap, turns)\n"
            "out['budget'] = m.model_dump()['metrics']['status'] if m else None\n")
    out, _ = _in_child(code)
    assert "budget" in out


# --- 2. bounded memory from a .docx --------------------------------------------------------------------

def _docx(paragraphs: int, text: str = "a") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><w:document xmlns:w="{_W}"><w:body>'.encode())
            for _ in range(paragraphs):
                part.write(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode())
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


def test_a_small_docx_of_millions_of_nodes_is_refused_in_bounded_memory() -> None:
    data = _docx(2_000_000)
    assert len(data) < 8 * 1024 * 1024  # under the size limit, and under the unpacked-size bound
    code = (f"from pathlib import Path\nfrom lib.errors import TranscriptError\nfrom lib.transcripts import parse_bytes\n"
            f"data = Path({str(ROOT / 'tests')!r}).parent.joinpath('.hostile-nodes.docx').read_bytes()\n"
            "try:\n    parse_bytes(data, name='nodes.docx', max_bytes=8 * 1024 * 1024)\n    out['refused'] = None\n"
            "except TranscriptError as exc:\n    out['refused'] = exc.problem\n")
    path = ROOT / ".hostile-nodes.docx"
    path.write_bytes(data)
    try:
        out, peak_mb = _in_child(code, memory_mb=1024)
    finally:
        path.unlink()
    assert out["refused"] == "Word document has more than 500,000 XML elements, the limit per file"
    assert peak_mb < 400, peak_mb


def test_a_docx_with_a_document_type_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
                         f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&a;</w:t></w:r></w:p></w:body></w:document>')
    with pytest.raises(TranscriptError, match="declares a document type"):
        parse_bytes(buffer.getvalue(), name="dtd.docx", max_bytes=1 << 20)


# --- 3 and 4. markup and terminal escapes from data ----------------------------------------------------

ESCAPES = "\x1b[2J\x1b]0;owned\x07\x1b[31m"


def _hostile_call(folder: Path) -> None:
    turns = [{"speaker": f"[/red]Mallory{ESCAPES}", "start_ms": 0,
              "text": f"Our budget is $90,000 [/bold] {ESCAPES} and the CFO Karen Liu signs off."},
             {"speaker": "Ben Cole", "start_ms": 5000, "text": "Who decides? [bold]x[/bold] <script>alert(1)</script>"}]
    (folder / "title.json").write_text(json.dumps({"title": f"[/red]x{ESCAPES}", "deal_id": "DEAL-[/red]1",
                                                   "turns": turns}))


async def _analyse_all(settings: Settings) -> None:
    from lib.deals.refresh import refresh_all_deals

    rt = await Runtime.open(settings)
    try:
        from lib.db.prompts import PromptRepository
        from lib.prompt_files import sync_prompts

        await sync_prompts(PromptRepository(rt.pool))
        ids = [r["id"] for r in await rt.pool.fetch("SELECT id FROM transcripts")]
        saved = []
        for transcript in await rt.transcripts.get_many(ids):
            for agent_type in AGENT_TYPES:
                prompt = await rt.prompts.active(agent_type)
                assert prompt is not None
                saved.append(await rt.analyser.analyse(agent_type, transcript, prompt))
        await rt.results.upsert_many(saved)
        await refresh_all_deals(rt.pool, settings)
    finally:
        await rt.close()


def test_markup_and_escapes_in_files_never_reach_the_terminal(settings: Settings, database_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "offline")
    from lib.settings import get_settings
    get_settings.cache_clear()
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "a-date.txt").write_text("Date: [/red] soon\nAna Ruiz: Hello.\nBen Cole: Hi.\n")
    (folder / "c[bold]bold.txt").write_text("Ana Ruiz: Bold name.\nBen Cole: Yes.\n")
    (folder / f"d\n{ESCAPES}.txt").write_text("Ana Ruiz: Odd name.\nBen Cole: Indeed.\n")
    _hostile_call(folder)
    (folder / "z-last.txt").write_text("Ana Ruiz: The last file is still read.\nBen Cole: Good.\n")

    ingested = runner.invoke(app, ["ingest", str(folder)])
    assert ingested.exception is None or isinstance(ingested.exception, SystemExit), ingested.output
    assert ingested.exit_code == 0, ingested.output
    assert ingested.output.count("ingested") == 5
    assert "c[bold]bold.txt" in ingested.output and "z-last.txt" in ingested.output
    assert "\x1b" not in ingested.output and repr(f"d\n{ESCAPES}.txt")[1:-1].split("\\x1b")[0] in ingested.output

    asyncio.run(_analyse_all(settings))
    hostile = _id_of_title(database_url, f"[/red]x{ESCAPES}")
    for command in (["results"], ["results", str(hostile)], ["deals"], ["deals", "DEAL-[/red]1"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
        assert "\x1b" not in result.output and "\x07" not in result.output, command
    assert "[/red]x" in runner.invoke(app, ["results", str(hostile)]).output
    grid = runner.invoke(app, ["deals", "DEAL-[/red]1"]).output
    assert "DEAL-[/red]1" in grid


def _id_of_title(database_url: str, title: str) -> int:
    async def find() -> int:
        import asyncpg

        conn = await asyncpg.connect(database_url)
        try:
            return int(await conn.fetchval("SELECT id FROM transcripts WHERE title = $1", title))
        finally:
            await conn.close()

    return asyncio.run(find())


def test_shown_escapes_markup_and_replaces_control_characters() -> None:
    assert shown("[/red]x\x1b[2J\nnext\x9b") == "\\[/red]x\ufffd[2J next\ufffd"
    assert shown("two\nlines", lines=True) == "two\nlines"
    assert shown_path("c[bold]bold.txt") == "c\\[bold]bold.txt"
    assert shown_path("d\n\x1b[31m.txt") == "'d\\n\\x1b[31m.txt'"  # quoted: the ESC is shown, not sent
    assert md("<script>alert(1)</script> & <img src=x onerror=alert(1)>") == \
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;"


def test_markdown_artifacts_carry_transcript_html_as_text() -> None:
    from lib.deals.markdown import deals_markdown
    from lib.deals.models import DealElement, DealEvidence, DealRollup, DealStakeholder, StoredDeal

    now = datetime.now(UTC)
    evidence = DealEvidence(quote="<script>alert(1)</script>", speaker="<img src=x onerror=alert(1)>",
                            transcript_id=1, start_ms=0)
    element = DealElement(status="identified", first_identified=None, summary="<b>bold</b>", evidence=[evidence])
    person = DealStakeholder(name="<i>Eve</i>", title=None, side="buyer", role="champion", influence="high",
                             sentiment="positive", calls_seen=1, first_seen_at=now)
    rollup = DealRollup(deal_id="D<1>", calls=1, first_call_at=now, last_call_at=now, elements={"metrics": element},
                        stakeholders=[person], warnings=[], next_questions=[])
    deal = StoredDeal(deal_id="D<1>", rollup=rollup, calls=1, first_call_at=now, last_call_at=now, result_ids=[],
                      previous_rollup=None, changed_by=None, updated_at=now)
    text = deals_markdown([deal], None)
    assert "<script>" not in text and "<img" not in text and "<b>" not in text and "<i>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


# --- 5. links out of a folder --------------------------------------------------------------------------

def test_a_link_out_of_the_folder_is_refused_unless_followed(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("Root User: the secret outside the folder.\nAdmin: yes.\n")
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "real.txt").write_text("Ana Ruiz: A real call.\nBen Cole: Yes.\n")
    (folder / "inside.txt").symlink_to(folder / "real.txt")  # a link inside the folder is fine (stored once)

    refused = runner.invoke(app, ["ingest", str(folder)])
    assert refused.exit_code == 0, refused.output
    lines = refused.output.splitlines()
    assert [line.split()[0] for line in lines if "passwd.txt" in line] == ["refused"]
    assert "outside the folder" in refused.output and refused.output.count("ingested") == 1

    followed = runner.invoke(app, ["ingest", str(folder), "--follow-symlinks"])
    assert [line.split()[0] for line in followed.output.splitlines() if "passwd.txt" in line] == ["ingested"]


async def test_a_file_source_does_not_follow_a_link_out_of_its_folder(pool: object, settings: Settings,
                                                                     tmp_path: Path) -> None:
    from lib.intake.pull import pull_source
    from lib.intake.sources import parse_source

    outside = tmp_path / "etc" / "passwd.txt"
    outside.parent.mkdir()
    outside.write_text("Root User: not a call.\nAdmin: no.\n")
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "passwd.txt").symlink_to(outside)
    (folder / "call.txt").write_text("Ana Ruiz: A call.\nBen Cole: Yes.\n")
    report = await pull_source(pool, settings, parse_source(f"file://{folder}"))  # type: ignore[arg-type]
    assert report.new == 1
    assert [(r.external_id, r.reason.split(":")[0]) for r in report.refused] == [
        ("passwd.txt", "symbolic link to a file outside the folder")]


# --- 6. the smaller ones -------------------------------------------------------------------------------

def test_srt_cues_out_of_order_never_make_a_turn_that_ends_before_it_starts() -> None:
    data = (b"1\n00:00:10,000 --> 00:00:12,000\nAna Ruiz: first\n\n"
            b"2\n00:00:01,000 --> 00:00:02,000\nAna Ruiz: second, earlier\n\n"
            b"3\n00:00:20,000 --> 00:00:21,000\nBen Cole: later\n")
    parsed = parse_bytes(data, name="order.srt", max_bytes=1 << 20)
    for turn in parsed.turns:
        assert turn.end_ms is None or turn.start_ms is None or turn.end_ms >= turn.start_ms, turn


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(encoding: str) -> None:
    text = "Zoë Müller: Le budget est signé.\nBen Cole: Good.\n"
    parsed = parse_bytes(text.encode(encoding), name="call.txt", max_bytes=1 << 20)
    assert parsed.speakers == ["Zoë Müller", "Ben Cole"]
    assert any("UTF-16" in w for w in parsed.warnings)


def test_a_formula_looking_name_is_not_reordered() -> None:
    assert natural_name('=HYPERLINK("http://x","y")') == '=HYPERLINK("http://x","y")'
    assert natural_name("Grant, Olivia") == "Olivia Grant"
