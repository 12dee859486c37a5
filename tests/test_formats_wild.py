"""Transcripts in the shapes other people write them (issue 29): our own samples in tests/fixtures/wild,
written from the shapes public sales-call transcripts use, each with exact expectations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lib.errors import TranscriptError
from lib.settings import Settings
from lib.transcripts import ParsedTranscript, parse_bytes, parse_file
from lib.transcripts.checks import is_check

WILD = Path(__file__).parent / "fixtures" / "wild"


def parse(name: str) -> ParsedTranscript:
    return parse_file(WILD / name, max_bytes=1_000_000)


def said_by(parsed: ParsedTranscript, words: str) -> str | None:
    return next(t.speaker for t in parsed.turns if words in t.text)


def test_bracketed_role_and_name_labels() -> None:
    parsed = parse("bracketed_roles.txt")
    assert len(parsed.turns) == 12
    assert parsed.speakers == ["Marta Quinn", "Dan", "Priya", "Raghav"]
    assert said_by(parsed, "Same here") == "Dan"
    assert said_by(parsed, "single sign-on is in every tier") == "Marta Quinn"  # a later bare `AE:`
    assert said_by(parsed, "Does pricing include") == "Raghav"  # `Prospective (Raghav)`, a misspelt role
    assert parsed.turns[1].start_ms == 9_000
    people = {p["name"]: p for p in parsed.metadata["participants"]}
    assert people["Dan"]["title"] == "Finance VP" and people["Dan"]["side"] == "buyer"
    assert people["Marta Quinn"]["side"] == "seller"
    assert parsed.warnings == []


def test_banner_of_any_keys_and_a_trailing_note() -> None:
    parsed = parse("banner.txt")
    assert parsed.speakers == ["Priya Nair", "Tom Gallagher"]
    assert len(parsed.turns) == 8
    assert parsed.metadata["header"]["Industry"] == "Wealth management"
    assert parsed.metadata["header"]["Call Type"] == "Discovery"
    assert parsed.metadata["outcome"] == "Second meeting booked"
    assert parsed.metadata["title"] == "OUTBOUND DISCOVERY CALL"
    assert parsed.metadata["sides"] == {"Priya Nair": "seller", "Tom Gallagher": "buyer"}
    tom = next(p for p in parsed.participants if p.name == "Tom Gallagher")
    assert (tom.title, tom.company) == ("Head of Talent Acquisition", "Breck Financial Services")
    assert parsed.metadata["notes"][0] == "Key Insights"
    assert not any("agency fees" in t.text for t in parsed.turns)
    assert said_by(parsed, "send me a time on Tuesday") == "Tom Gallagher"


def test_markdown_call_date_attendees_and_call_notes() -> None:
    parsed = parse("call_notes.md")
    assert parsed.speakers == ["David Park", "Sarah Chen"]
    assert len(parsed.turns) == 8
    assert parsed.occurred_at == datetime(2025, 2, 10, tzinfo=UTC)
    sarah = next(p for p in parsed.participants if p.name == "Sarah Chen")
    assert (sarah.title, sarah.company, sarah.side) == ("VP Sales", "Nextera Health", "buyer")
    assert parsed.metadata["header"]["Call Type"] == "Discovery"
    assert any("Pain Points" in line for line in parsed.metadata["notes"])
    assert "Pain Points" not in parsed.content and "Call Date" not in parsed.speakers
    assert said_by(parsed, "Thirty-five across two regions") == "Sarah Chen"


def test_a_file_with_two_calls_is_refused_naming_the_line() -> None:
    with pytest.raises(TranscriptError, match=r"more than one call.*line 9"):
        parse("two_calls.txt")


def test_unread_labels_are_warned_about_not_merged_silently() -> None:
    parsed = parse("warned.txt")
    checks = [w for w in parsed.warnings if is_check(w)]
    assert len(checks) == 1 and "4 lines look like speaker labels" in checks[0] and "line 3" in checks[0]
    assert "budget" not in checks[0].casefold()  # line numbers, never the transcript's words


def test_one_speaker_holding_every_word_is_warned_about() -> None:
    text = "Participants: Ana Ruiz (AE, Vela), Ben Ode (CFO, Kora)\n\n" + "Ana Ruiz: " + "word " * 200 + "\nBen Ode: ok\n"
    parsed = parse_bytes(text.encode(), name="one.txt", max_bytes=100_000)
    assert any(is_check(w) and "of the words of a call with 2 people" in w for w in parsed.warnings)


def test_plain_labels_still_parse_as_before() -> None:
    parsed = parse_bytes(b"Ana: Hi there.\nBen: Hello.\nAna: Shall we start?\n", name="a.txt", max_bytes=10_000)
    assert [t.speaker for t in parsed.turns] == ["Ana", "Ben", "Ana"] and parsed.warnings == []
    assert "header" not in parsed.metadata


def test_label_grammar_is_bounded_on_long_lines() -> None:
    line = "[00:01] " + "Ab (" * 20_000 + ":" + " " * 50_000 + "x\n"
    parsed = parse_bytes(line.encode() * 2, name="long.txt", max_bytes=400_000)
    assert parsed.turns


def test_ingest_strict_refuses_a_file_with_misread_labels(settings: Settings, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lib.cli.main import app

    runner = CliRunner()
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("warned.txt", "banner.txt"):
        (folder / name).write_bytes((WILD / name).read_bytes())
    strict = runner.invoke(app, ["ingest", str(folder), "--strict"])
    assert strict.exit_code == 1, strict.output
    lines = strict.output.strip().splitlines()
    assert any(line.startswith("failed") and "warned.txt" in line and "refused (--strict)" in line for line in lines)
    assert any(line.startswith("ingested") and "banner.txt" in line and "8 turns, 2 speakers" in line for line in lines)
    lenient = runner.invoke(app, ["ingest", str(folder / "warned.txt")])
    assert lenient.exit_code == 0 and "labels may be misread" in lenient.output
