"""Transcript formats people actually have (issue 25): Markdown notes and bold labels, metadata headers,
Otter and Google Meet text, Teams .docx, role labels, detection by content, and the one-turn warning.
Fixtures in tests/fixtures/formats/ are our own, written from the public descriptions of those exports;
the .docx files are built here with python-docx."""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import docx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from lib.agents.grounding import TranscriptIndex
from lib.agents.schemas import Stakeholder, StakeholderMap
from lib.cli.main import app
from lib.db import open_database
from lib.db.transcripts import TranscriptRepository
from lib.errors import TranscriptError
from lib.llm.base import render_transcript
from lib.llm.offline.analysis import known_people
from lib.llm.offline.provider import OfflineProvider
from lib.models import StoredResult, Transcript
from lib.prompt_files import sync_prompts
from lib.run.runtime import Runtime
from lib.settings import Settings
from lib.transcripts import ParsedTranscript, parse_bytes, parse_file
from lib.transcripts.dates import parse_header_date
from lib.transcripts.people import parse_participants
from lib.transcripts.speakers import NO_LABELS
from lib.views.results import UNLABELLED_NOTE, heading, results_table

FORMATS = Path(__file__).parent / "fixtures" / "formats"
LIMIT = 1_000_000
runner = CliRunner()


def parse(data: str | bytes, name: str, *, max_bytes: int = LIMIT, seller_company: str | None = None
          ) -> ParsedTranscript:
    raw = data.encode() if isinstance(data, str) else data
    return parse_bytes(raw, name=name, max_bytes=max_bytes, seller_company=seller_company)


def teams_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_transcript(parsed: ParsedTranscript, tid: int = 1) -> Transcript:
    now = datetime(2026, 3, 3, tzinfo=UTC)
    return Transcript(id=tid, ingested_at=now, source="tests", title="t", format=parsed.format, occurred_at=now,
                      content=parsed.content, content_sha256=parsed.content_sha256,
                      turns=[t.model_dump() for t in parsed.turns], speakers=parsed.speakers,
                      metadata=parsed.metadata)


# --- Markdown ---------------------------------------------------------------------------------------

def test_markdown_notes_speakers_header_and_first_names() -> None:
    parsed = parse_file(FORMATS / "kestrel_discovery.md", max_bytes=LIMIT, seller_company="Northwind Analytics")
    assert parsed.format == "markdown"
    assert parsed.speakers == ["Lena Park", "Ivy Chen", "Bob Stone"]  # `**Bob**:` is Bob Stone
    assert len(parsed.turns) == 8
    assert parsed.occurred_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert parsed.metadata["title"] == "Discovery call: Kestrel Foods and Northwind Analytics"
    assert parsed.metadata["call_id"] == "KF-0303"
    bob = next(p for p in parsed.metadata["participants"] if p["name"] == "Bob Stone")
    assert bob == {"name": "Bob Stone", "title": "CFO", "company": "Kestrel Foods", "side": "buyer"}
    assert parsed.metadata["sides"] == {"Lena Park": "seller", "Ivy Chen": "buyer", "Bob Stone": "buyer"}
    assert parsed.warnings == []


def test_markdown_leaves_no_markup_and_quotes_ground_in_the_clean_text() -> None:
    parsed = parse_file(FORMATS / "kestrel_discovery.md", max_bytes=LIMIT)
    for mark in ("**", "__", "](", "`", "> ", "#", "---"):
        assert mark not in parsed.content, mark
    assert "Our close takes twelve working days" in parsed.content
    assert "proposal with our pricing." in parsed.content
    index = TranscriptIndex([t.model_dump() for t in parsed.turns])
    found = index.find("I sign off on anything over fifty thousand")
    assert found is not None and found.speaker == "Bob Stone"
    assert index.find("Our close takes *twelve* working days") is not None  # emphasis in a quote is punctuation
    assert index.find("**Ivy:** Sure. Our close takes twelve") is None  # a label is not what was said


def test_bold_labels_in_a_txt_file_are_read_as_markdown_with_role_sides() -> None:
    parsed = parse_file(FORMATS / "bold_labels.txt", max_bytes=LIMIT)
    assert parsed.format == "markdown"
    assert parsed.speakers == ["REP", "PROSPECT", "AE"]
    assert [t.speaker for t in parsed.turns] == ["REP", "PROSPECT", "REP", "PROSPECT", "AE"]
    assert parsed.metadata["sides"] == {"REP": "seller", "PROSPECT": "buyer", "AE": "seller"}
    assert "**" not in parsed.content and "__" not in parsed.content


@pytest.mark.parametrize("line", [
    "**Lena:** Thanks for joining.", "**Lena**: Thanks for joining.", "__Lena:__ Thanks for joining.",
    "__Lena__: Thanks for joining.", "- **Lena:** Thanks for joining.", "**Lena** (00:06): Thanks for joining.",
    "[00:06] **Lena:** Thanks for joining.", "**[00:06] Lena:** Thanks for joining."])
def test_bold_label_spellings(line: str) -> None:
    parsed = parse(f"{line}\n**Bob:** Sure.\n", "notes.md")
    assert parsed.turns[0].speaker == "Lena"
    assert parsed.turns[0].text == "Thanks for joining."
    if "00:06" in line:
        assert parsed.turns[0].start_ms == 6_000


def test_yaml_front_matter_and_inline_attendees() -> None:
    text = ("---\ntitle: \"Kestrel check-in\"\ndate: 2026-03-05T15:00:00Z\ntags: [sales]\n---\n"
            "Attendees: Lena Park (AE, Northwind), Bob Stone (CFO, Kestrel Foods)\n\n"
            "**Lena:** Hi Bob.\n**Bob:** Hi.\n")
    parsed = parse(text, "check-in.md", seller_company="Northwind")
    assert parsed.metadata["title"] == "Kestrel check-in"
    assert parsed.metadata["tags"] == "[sales]"
    assert parsed.occurred_at == datetime(2026, 3, 5, 15, tzinfo=UTC)
    assert parsed.speakers == ["Lena Park", "Bob Stone"]
    assert parsed.metadata["sides"] == {"Lena Park": "seller", "Bob Stone": "buyer"}


def test_a_first_name_two_participants_share_is_left_as_written() -> None:
    text = "Participants: Bob Stone (CFO, Kestrel), Bob Li (IT, Kestrel), Ivy Chen\n\nBob: Which Bob?\nIvy: You.\n"
    parsed = parse(text, "call.txt")
    assert parsed.speakers == ["Bob", "Ivy Chen"]


# --- header dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected", "warned"), [
    ("March 3, 2026", datetime(2026, 3, 3, tzinfo=UTC), False),
    ("3 March 2026", datetime(2026, 3, 3, tzinfo=UTC), False),
    ("13/04/2026", datetime(2026, 4, 13, tzinfo=UTC), False),   # 13 cannot be a month: day first
    ("04/13/2026", datetime(2026, 4, 13, tzinfo=UTC), False),   # 13 cannot be a month: month first
    ("04.03.2026", datetime(2026, 3, 4, tzinfo=UTC), False),    # dotted: day first
    ("2026-03-04", datetime(2026, 3, 4, tzinfo=UTC), False),
    ("03/04/2026", datetime(2026, 3, 4, tzinfo=UTC), True),     # either: month first, said so
    ("March 3, 2026 2:00 PM ET", datetime(2026, 3, 3, 14, tzinfo=timezone(timedelta(hours=-5))), False),
])
def test_header_dates(value: str, expected: datetime, warned: bool) -> None:
    warnings: list[str] = []
    assert parse_header_date(value, warnings, "Date") == expected
    assert bool(warnings) == warned, warnings


def test_a_separate_time_line_joins_the_date() -> None:
    parsed = parse("Date: 2026-03-03\nTime: 2:30 PM PT\nParticipants:\n- **Bob Stone** (CFO)\n\nBob: hi\n", "c.txt")
    assert parsed.occurred_at == datetime(2026, 3, 3, 14, 30, tzinfo=timezone(timedelta(hours=-8)))
    assert parsed.metadata["participants"] == [{"name": "Bob Stone", "title": "CFO"}]
    assert parsed.speakers == ["Bob Stone"]


def test_header_date_sets_occurred_at_and_a_bad_one_is_a_warning() -> None:
    good = parse("**Date:** 14 April 2026\n\n**Ana:** hi\n", "a.md")
    assert good.occurred_at == datetime(2026, 4, 14, tzinfo=UTC)
    bad = parse("**Date:** sometime soon\n\n**Ana:** hi\n", "a.md")
    assert bad.occurred_at is None
    assert any("not a date" in w for w in bad.warnings)


# --- participants and sides -----------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "name", "title", "company"), [
    ("Bob Stone (CFO, Kestrel Foods)", "Bob Stone", "CFO", "Kestrel Foods"),
    ("Bob Stone, CFO, Kestrel Foods", "Bob Stone", "CFO", "Kestrel Foods"),
    ("Bob Stone - CFO at Kestrel Foods", "Bob Stone", "CFO", "Kestrel Foods"),
    ("Bob Stone (Kestrel Foods)", "Bob Stone", None, "Kestrel Foods"),
    ("Bob Stone <bob@kestrel.com>", "Bob Stone", None, None),
    ("Javier Castillo (Sales Manager, EMEA, Ledgerleaf)", "Javier Castillo", "Sales Manager, EMEA", "Ledgerleaf"),
])
def test_participant_spellings(line: str, name: str, title: str | None, company: str | None) -> None:
    [person] = parse_participants(line, one=True)
    assert (person.name, person.title, person.company) == (name, title, company)


def test_internal_participants_domain_decides_the_seller_without_a_setting() -> None:
    text = ("Participants:\n- Internal: Lena Park <lena@northwind.io>\n- Sam Ortiz <sam@northwind.io>\n"
            "- Bob Stone <bob@kestrel.com>\n\nLena: Hi.\nSam: Hello.\nBob: Morning.\n")
    parsed = parse(text, "call.txt")
    assert parsed.metadata["sides"] == {"Lena Park": "seller", "Sam Ortiz": "seller",
                                        "Bob Stone": "buyer"}


def test_without_a_setting_the_account_executives_company_is_the_seller() -> None:
    parsed = parse_file(FORMATS / "kestrel_discovery.md", max_bytes=LIMIT)
    assert parsed.metadata["sides"] == {"Lena Park": "seller", "Ivy Chen": "buyer", "Bob Stone": "buyer"}
    unclear = parse("Participants: Ana Ruiz (VP Sales, Orbit), Bo Li (CFO, Kestrel)\n\nAna: Hi.\nBo: Hello.\n", "c.txt")
    assert "sides" not in unclear.metadata  # a VP of Sales can be on either side: no guess
    assert all("side" not in p for p in unclear.metadata["participants"])


def test_a_label_of_first_names_resolves_to_the_participant() -> None:
    parsed = parse("Participants:\n- Mei Lin Zhou (Solutions Consultant, Yieldwise)\n- Ines Carvalho\n\n"
                   "**Mei Lin:** Hello.\n**Ines:** Hi.\n", "c.md")
    assert parsed.speakers == ["Mei Lin Zhou", "Ines Carvalho"]


def test_role_labels_keep_their_names_and_imply_sides() -> None:
    parsed = parse("Rep: Hello.\nCustomer: Hi.\nSpeaker 1: Who am I?\nAE 2: Me too.\n", "roles.txt")
    assert parsed.speakers == ["Rep", "Customer", "Speaker 1", "AE 2"]
    assert parsed.metadata["sides"] == {"Rep": "seller", "Customer": "buyer", "AE 2": "seller"}


def test_gong_affiliation_gives_sides() -> None:
    document = ('{"callTranscripts": [{"callId": "1", "transcript": ['
                '{"speakerId": "a", "sentences": [{"start": 0, "end": 1, "text": "Hi."}]},'
                '{"speakerId": "b", "sentences": [{"start": 2, "end": 3, "text": "Hello."}]},'
                '{"speakerId": "c", "sentences": [{"start": 4, "end": 5, "text": "Hey."}]}]}],'
                '"parties": [{"speakerId": "a", "name": "Maya Chen", "affiliation": "Internal", "emailAddress": "maya@acme.io"},'
                '{"speakerId": "b", "name": "Raj Rao", "affiliation": "External", "emailAddress": "raj@client.com"},'
                '{"speakerId": "c", "name": "Tom Ode", "affiliation": "Unknown", "emailAddress": "tom@acme.io"}]}')
    parsed = parse(document, "gong.json")
    assert parsed.metadata["sides"] == {"Maya Chen": "seller", "Raj Rao": "buyer", "Tom Ode": "seller"}


# --- Otter and Google Meet ------------------------------------------------------------------------------

def test_otter_export() -> None:
    parsed = parse_file(FORMATS / "otter_export.txt", max_bytes=LIMIT)
    assert parsed.format == "otter"
    assert parsed.speakers == ["Sam Ortiz", "Priya Nair", "Unknown Speaker"]
    assert [t.start_ms for t in parsed.turns] == [2_000, 9_000, 75_000, 3_750_000]
    assert parsed.turns[1].text == ("Happy to. Before we start, our finance team wants the numbers broken out "
                                    "per site.")
    assert parsed.metadata["title"] == "Harbor Logistics renewal"
    assert parsed.occurred_at == datetime(2026, 4, 14, tzinfo=UTC)
    assert "otter.ai" not in parsed.content


def test_meet_transcript() -> None:
    parsed = parse_file(FORMATS / "meet_transcript.txt", max_bytes=LIMIT)
    assert parsed.format == "meet"
    assert parsed.metadata["title"] == "Kestrel pricing review"
    assert parsed.occurred_at == datetime(2026, 3, 10, 14, 2, tzinfo=timezone(timedelta(hours=1)))
    assert [p["name"] for p in parsed.metadata["participants"]] == ["Bob Stone", "Ivy Chen", "Lena Park"]
    assert [(t.speaker, t.start_ms) for t in parsed.turns] == [
        ("Lena Park", 0), ("Bob Stone", 0), ("Ivy Chen", 300_000), ("Lena Park", 300_000)]
    assert parsed.turns[2].text.endswith("It keeps the finance team's reporting simple.")
    assert "Meeting ended" not in parsed.content and "Transcript" not in parsed.content
    assert parsed.metadata["duration"] == "00:31:07"


def test_meet_without_its_title_line_and_bare_times_in_any_text() -> None:
    meet = parse("Attendees\nBob Stone, Lena Park\nTranscript\n00:00:00\nLena Park: Hi.\n00:01:30\nBob Stone: Yes.\n",
                 "notes.txt")
    assert meet.format == "meet"
    assert [(t.speaker, t.start_ms) for t in meet.turns] == [("Lena Park", 0), ("Bob Stone", 90_000)]
    plain = parse("Ana: Hello.\n12:30\nBo: Later on.\nmore of it\n", "call.txt")
    assert plain.format == "txt" and [t.start_ms for t in plain.turns] == [None, 750_000]
    assert "12:30" not in plain.content.replace("[00:12:30]", "")


# --- Teams .docx ----------------------------------------------------------------------------------------

NEW_TEAMS = ["Kestrel Foods pricing", "March 3, 2026, 2:00PM", "32m 10s", "Lena Park started transcription",
             "Lena Park   0:03", "Thanks for joining.", "Bob Stone   0:09", "Happy to be here.",
             "I sign off on anything over fifty thousand.", "Lena Park   1:02:04", "Noted.",
             "Lena Park stopped transcription"]


def test_teams_docx_name_and_time_lines() -> None:
    parsed = parse(teams_docx(NEW_TEAMS), "Kestrel Foods pricing.docx")
    assert parsed.format == "teams-docx"
    assert [(t.speaker, t.start_ms) for t in parsed.turns] == [
        ("Lena Park", 3_000), ("Bob Stone", 9_000), ("Lena Park", 3_724_000)]
    assert parsed.turns[1].text == "Happy to be here. I sign off on anything over fifty thousand."
    assert parsed.metadata["title"] == "Kestrel Foods pricing"
    assert parsed.metadata["duration"] == "32m 10s"
    assert parsed.occurred_at == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert "transcription" not in parsed.content


def test_teams_docx_arrow_blocks_merge_one_speakers_cues() -> None:
    parsed = parse(teams_docx([
        "0:0:3.120 --> 0:0:8.400", "Lena Park", "Thanks for joining.",
        "0:0:8.900 --> 0:0:11.000", "Lena Park", "Shall we start?",
        "0:0:11.500 --> 0:0:14.250", "Bob Stone", "Yes."]), "call.docx")
    assert [(t.speaker, t.start_ms, t.end_ms, t.text) for t in parsed.turns] == [
        ("Lena Park", 3_120, 11_000, "Thanks for joining. Shall we start?"), ("Bob Stone", 11_500, 14_250, "Yes.")]


def test_a_docx_of_plain_labelled_paragraphs_is_read_as_text() -> None:
    parsed = parse(teams_docx(["**Lena:** Hello.", "**Bob:** Hi there."]), "notes.docx")
    assert parsed.format == "markdown" and parsed.speakers == ["Lena", "Bob"]


def test_docx_refusals_name_the_problem() -> None:
    with pytest.raises(TranscriptError, match="not a Word document"):
        parse(b"Lena: hi", "call.docx")
    with pytest.raises(TranscriptError, match="empty document"):
        parse(teams_docx([]), "empty.docx")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * 2_000_000)
    assert len(bomb.getvalue()) < 50_000
    with pytest.raises(TranscriptError, match="unpacks to 2,000,000 bytes"):
        parse(bomb.getvalue(), "bomb.docx", max_bytes=50_000)
    with pytest.raises(TranscriptError, match="larger than the 1,024-byte limit"):
        parse(teams_docx(NEW_TEAMS), "big.docx", max_bytes=1_024)


def test_broken_docx_package_is_a_bad_file() -> None:
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<not xml")
    with pytest.raises(TranscriptError, match="not a readable Word document"):
        parse(broken.getvalue(), "broken.docx")


# --- detection and the one-turn rule -------------------------------------------------------------------

@pytest.mark.parametrize(("file", "name", "parser"), [
    ("otter_export.txt", "call.md", "otter"),
    ("meet_transcript.txt", "call.md", "meet"),
    ("bold_labels.txt", "call.txt", "markdown"),
    ("kestrel_discovery.md", "call.txt", "markdown"),
])
def test_formats_are_recognised_by_content(file: str, name: str, parser: str) -> None:
    assert parse((FORMATS / file).read_bytes(), name).format == parser


def test_captions_and_json_are_recognised_in_any_text_file() -> None:
    assert parse("WEBVTT\n\n00:00.000 --> 00:01.000\nAna: hi\n", "call.md").format == "vtt"
    assert parse('{"turns": [{"speaker": "Ana", "text": "hi"}]}', "call.txt").format == "json"


def test_no_speaker_labels_is_one_turn_with_a_warning() -> None:
    parsed = parse_file(FORMATS / "no_labels.txt", max_bytes=LIMIT)
    assert len(parsed.turns) == 1 and parsed.speakers == []
    assert parsed.turns[0].text.startswith("Notes from the call with Kestrel.")
    assert parsed.warnings[0] == NO_LABELS
    assert parsed.metadata["speaker_labels"] == "none"
    labelled = parse("Ana: hi\nBo: hello\n", "call.txt")
    assert NO_LABELS not in labelled.warnings


def test_markdown_keeps_the_decoding_and_size_guarantees() -> None:
    with pytest.raises(TranscriptError, match="binary file"):
        parse(b"**Ana:** \x00\x01\x02", "notes.md")
    with pytest.raises(TranscriptError, match="larger than"):
        parse(b"**Ana:** " + b"x" * 2_000, "notes.md", max_bytes=1_024)
    latin = parse("**Ana:** caf\xe9 au lait\n**Bo:** oui\n".encode("cp1252"), "notes.md")
    assert latin.turns[0].text == "café au lait"
    assert any("Latin-1" in w for w in latin.warnings)


# --- what the agents see --------------------------------------------------------------------------------

def test_sides_and_titles_reach_the_offline_stakeholder_map() -> None:
    # Bob's words alone read like a seller's ("our pricing", "we can offer"); the header says he is the buyer.
    body = ("Lena Park: Thanks for joining, what does your process look like?\n"
            "Bob Stone: We can offer a pilot budget. Our pricing review is in June and I sign off on it.\n")
    header = "Participants: Lena Park (Account Executive, Northwind), Bob Stone (CFO, Kestrel Foods)\n\n"
    told = as_transcript(parse(header + body, "call.txt", seller_company="Northwind"))
    blind = as_transcript(parse(body, "call.txt"))
    assert told.content == blind.content
    people = stakeholders(told)
    assert people["Bob Stone"].side == "buyer" and people["Bob Stone"].title == "CFO"
    assert people["Lena Park"].side == "seller"
    blind_people = stakeholders(blind)
    assert blind_people["Bob Stone"].title is None  # without the header there is no title to carry
    assert blind_people["Bob Stone"].side == "seller"  # and his own words mislead the extractor


def stakeholders(transcript: Transcript) -> dict[str, Stakeholder]:
    reply = OfflineProvider().extract(StakeholderMap, transcript.turns, known_people(transcript.metadata))
    assert isinstance(reply, StakeholderMap)
    return {p.name: p for p in reply.people}


def test_the_llm_message_lists_the_participants() -> None:
    parsed = parse_file(FORMATS / "kestrel_discovery.md", max_bytes=LIMIT, seller_company="Northwind Analytics")
    message = render_transcript(as_transcript(parsed))
    assert "<participants>\n- Lena Park, Account Executive, Northwind Analytics (seller)\n" in message
    assert "- Bob Stone, CFO, Kestrel Foods (buyer)" in message
    plain = render_transcript(as_transcript(parse("Ana: hi\nBo: hello\n", "call.txt")))
    assert "<participants>" not in plain


# --- ingest and results ---------------------------------------------------------------------------------

def test_ingest_and_results_mark_a_transcript_without_labels(settings: Settings, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("no_labels.txt", "kestrel_discovery.md"):
        (folder / name).write_bytes((FORMATS / name).read_bytes())
    (folder / "pricing.docx").write_bytes(teams_docx(NEW_TEAMS))
    monkeypatch.setenv("ASMIS_SELLER_COMPANY", "Northwind Analytics")
    from lib.settings import get_settings

    get_settings.cache_clear()
    out = runner.invoke(app, ["ingest", str(folder)])
    assert out.exit_code == 0, out.output
    lines = {line.split(":")[0].split("/")[-1].split(" #")[0]: line for line in out.output.splitlines() if line}
    assert "1 turn, 0 speakers; no speaker labels found: stored as one turn" in lines["no_labels.txt"]
    assert "8 turns, 3 speakers" in lines["kestrel_discovery.md"]
    assert "3 turns, 2 speakers" in lines["pricing.docx"]
    stored = asyncio.run(_stored(settings))
    assert stored["kestrel_discovery.md"].metadata["parser"] == "markdown"
    assert stored["kestrel_discovery.md"].metadata["sides"]["Bob Stone"] == "buyer"
    assert stored["kestrel_discovery.md"].occurred_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert stored["pricing.docx"].format == "teams-docx"
    unlabelled = stored["no_labels.txt"]
    assert "no speaker labels" in heading(unlabelled)
    assert "no speaker labels" not in heading(stored["kestrel_discovery.md"])
    rows = asyncio.run(_results(settings, [unlabelled.id, stored["kestrel_discovery.md"].id]))
    assert {r.transcript_id: r.transcript_unlabelled for r in rows} == {
        unlabelled.id: True, stored["kestrel_discovery.md"].id: False}
    console = Console(record=True, width=100)
    console.print(results_table(rows))
    shown = console.export_text()
    assert UNLABELLED_NOTE in shown
    assert re.search(rf"#{unlabelled.id} +! no_labels", shown) and "! Discovery" not in shown


async def _stored(settings: Settings) -> dict[str, Transcript]:
    async with open_database(settings) as pool:
        repo = TranscriptRepository(pool)
        return {t.metadata["file_name"]: t for t in await repo.get_many(list(range(1, 1 + await repo.count())))}


async def _results(settings: Settings, ids: list[int]) -> list[StoredResult]:
    """The stakeholder agent's results for these transcripts, through the real analyser (offline)."""
    rt = await Runtime.open(settings)
    try:
        await sync_prompts(rt.prompts)
        prompt = await rt.prompts.active("stakeholder")
        assert prompt is not None
        saved = [await rt.analyser.analyse("stakeholder", t, prompt) for t in await rt.transcripts.get_many(ids)]
        await rt.results.upsert_many(saved)
        return [r for r in await rt.results.recent() if r.transcript_id in ids]
    finally:
        await rt.close()


@pytest.mark.parametrize("text", [
    "**a " * 20_000, "Participants: " + "(" * 20_000 + "\n\n**Ana:** hi\n", "[" * 20_000 + "](x)",
    "_a" * 20_000, "Participants: " + "a" * 20_000 + "@\n\n**Ana:** hi\n", "*_" * 20_000,
    # one long run of spaces where a label, a heading, an Otter speaker line or a Meet title could be
    "# a" + " " * 50_000 + "x\n**Ana:** hi\n", "**Ab" + " " * 50_000 + "x\n**Ana:** hi\n",
    "Ab" + " " * 50_000 + "x\nAb  0:01\nhi\nCd  0:02\nho\n", "a" + " " * 50_000 + "b - Transcript\n00:00:01\nAna: hi\n",
    "Date" + " " * 50_000 + "x\n**Ana:** hi\n",
])
def test_pathological_markdown_is_read_in_one_pass(text: str) -> None:
    """Patterns that rescan a line from every position take minutes on inputs like these (bold markers
    without partners took 348 s on 200 KB, and a 20 KB run of spaces 14 s in the Meet title pattern,
    before they were bounded)."""
    try:
        parsed = parse(text, "odd.md")
    except TranscriptError as exc:
        assert exc.problem == "no speaker turns found"
        return
    assert "**" not in parsed.content
