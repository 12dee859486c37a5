"""Transcript parsing: every format on realistic calls, normalised content, and every kind of bad input."""

from __future__ import annotations

import codecs
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from lib.errors import TranscriptError
from lib.transcripts import (
    SUFFIXES,
    ParsedTranscript,
    Turn,
    iter_transcript_files,
    parse_bytes,
    parse_file,
)

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
CALLS = FIXTURES / "calls"
BAD = FIXTURES / "bad"
EXAMPLES = Path(__file__).parent.parent / "examples"
LIMIT = 1_000_000


def parse(data: bytes | str, name: str, max_bytes: int = LIMIT) -> ParsedTranscript:
    return parse_bytes(data.encode() if isinstance(data, str) else data, name=name, max_bytes=max_bytes)


def refused(data: bytes | str, name: str) -> str:
    with pytest.raises(TranscriptError) as caught:
        parse(data, name)
    assert caught.value.path == name
    return caught.value.problem


# --- realistic calls --------------------------------------------------------------------------------

REALISTIC = [
    ("zoom_northwind_discovery.vtt", "vtt", 41,
     ["Maya Chen", "Daniel Ortiz", "Tom Becker", "Priya Nair"]),
    ("teams_helix_technical_review.vtt", "vtt", 31,
     ["James O'Connor", "Rebecca Walsh", "Lina Petrova", "Sanjay Patel", "Erin Cole"]),
    ("quantum_foods_pricing.srt", "srt", 33,
     ["Carlos Ruiz", "Michael Grant", "Hannah Lee", "Olivia Brooks", "Nadia Haddad"]),
    ("orbit_retail_renewal.srt", "srt", 34,
     ["Raj Malhotra", "Greg Holloway", "Sophie Turner", "Alicia Gomez", "Kevin Park"]),
    ("bluepeak_security_review.txt", "txt", 35,
     ["Aisha Rahman", "Victor Alvarez", "Megan Doyle", "Luis Fernandez", "Ethan Brooks"]),
    ("meridian_exec_alignment.txt", "txt", 34,
     ["Olivia Martin", "Chris Donovan", "Sarah Whitfield", "Jordan Ellis", "Nina Kowalski"]),
    ("atlas_manufacturing_discovery.json", "json", 37,
     ["Ben Whitaker", "Teresa Quinn", "Omar Siddiqui", "Frank Delgado", "Grace Liu"]),
    ("cascade_legal_review.json", "json", 37,
     ["Emily Sanders", "Rachel Morgan", "David Kim", "Monica Reyes", "Tyler Brooks"]),
    ("gong_harbor_telecom_demo.json", "gong", 34,
     ["Lauren Fischer", "Patricia Owens", "Marco Bellini", "Yuki Tanaka", "Ahmed Karim"]),
    ("gong_pioneer_negotiation.json", "gong", 31,
     ["Kelsey Moran", "Linda Chavez", "Howard Nguyen", "Beth Sorensen", "Daniel Brooks",
      "Speaker 4001237789956612003"]),
]


@pytest.mark.parametrize(("name", "fmt", "turns", "speakers"), REALISTIC)
def test_realistic_call(name: str, fmt: str, turns: int, speakers: list[str]) -> None:
    parsed = parse_file(CALLS / name, max_bytes=LIMIT)
    assert (parsed.format, len(parsed.turns), parsed.speakers) == (fmt, turns, speakers)
    assert all(turn.text and turn.text == turn.text.strip() and "\n" not in turn.text for turn in parsed.turns)
    assert all(turn.speaker for turn in parsed.turns)
    assert len(parsed.content.splitlines()) == turns
    assert (CALLS / name).stat().st_size < 15_000


def test_every_format_has_a_realistic_fixture() -> None:
    assert {fmt for _, fmt, _, _ in REALISTIC} == {"vtt", "srt", "txt", "json", "gong"}
    assert {path.name for path in CALLS.iterdir()} == {name for name, _, _, _ in REALISTIC}


def test_zoom_cues_of_one_speaker_merge_into_one_turn() -> None:
    path = CALLS / "zoom_northwind_discovery.vtt"
    cues = path.read_text().count("-->")
    parsed = parse_file(path, max_bytes=LIMIT)
    assert cues > len(parsed.turns)
    first = parsed.turns[0]
    # Maya's opening is three cues: 00:00:02.400 to 00:00:17.715.
    assert (first.speaker, first.start_ms, first.end_ms) == ("Maya Chen", 2_400, 17_715)
    assert first.text.startswith("Thanks for making the time, Daniel, Priya.")
    assert first.text.endswith("Does that still work for you?")
    assert parsed.content.splitlines()[0].startswith("[00:00:02] Maya Chen: Thanks for making the time")
    assert parsed.warnings == [] and parsed.occurred_at is None


def test_teams_voice_spans_and_guid_cue_ids() -> None:
    parsed = parse_file(CALLS / "teams_helix_technical_review.vtt", max_bytes=LIMIT)
    rebecca = [t for t in parsed.turns if "thirty data incidents" in t.text][0]
    # Two consecutive utterances by Rebecca (several cues each) become one turn.
    assert rebecca.speaker == "Rebecca Walsh"
    assert "under one hour" in rebecca.text and "<v" not in rebecca.text
    assert rebecca.start_ms is not None and rebecca.end_ms is not None and rebecca.end_ms > rebecca.start_ms
    assert "James O'Connor: Good morning everyone." in parsed.content


def test_srt_multi_line_cues_are_joined() -> None:
    parsed = parse_file(CALLS / "orbit_retail_renewal.srt", max_bytes=LIMIT)
    first = parsed.turns[0]
    assert first.speaker == "Raj Malhotra" and first.start_ms == 2_400
    assert first.text == ("Thanks for hopping on. Our renewal is on July 31st, so we wanted to get ahead "
                          "of it and talk about expanding to the remaining stores.")


def test_text_with_timestamps_and_header() -> None:
    parsed = parse_file(CALLS / "bluepeak_security_review.txt", max_bytes=LIMIT)
    assert parsed.metadata == {"title": "BluePeak Credit Union - Vaultline security deep dive",
                               "deal_id": "BPCU-IGA-01"}
    assert parsed.occurred_at == datetime(2025, 1, 28, 10, tzinfo=timezone(timedelta(hours=-7)))
    assert all(t.start_ms is not None and t.end_ms is None for t in parsed.turns)
    assert parsed.turns[1].start_ms == 12_000  # [00:00:12]


def test_text_wrapped_lines_continue_the_turn() -> None:
    parsed = parse_file(CALLS / "meridian_exec_alignment.txt", max_bytes=LIMIT)
    assert all(t.start_ms is None for t in parsed.turns)
    assert parsed.turns[4].speaker == "Jordan Ellis"
    assert parsed.turns[4].text.endswith("costs us about $45,000 in recruiting and training.")
    # The header gives a date without a time or zone: midnight UTC, and a warning says so.
    assert parsed.occurred_at == datetime(2025, 6, 9, tzinfo=UTC)
    assert parsed.warnings == ["'# Date' has no time zone; assumed UTC"]


def test_own_json_with_and_without_timings() -> None:
    atlas = parse_file(CALLS / "atlas_manufacturing_discovery.json", max_bytes=LIMIT)
    assert atlas.occurred_at == datetime(2025, 3, 25, 13, tzinfo=UTC)
    assert atlas.metadata == {"title": "Atlas Manufacturing - Forge IoT discovery", "deal_id": "ATLAS-PDM-2025"}
    assert atlas.turns[0] == Turn(speaker="Ben Whitaker", start_ms=2_400, end_ms=9_245, text=(
        "Thanks for having us at the plant, Frank. Teresa, good to have you dialing in from headquarters."))
    cascade = parse_file(CALLS / "cascade_legal_review.json", max_bytes=LIMIT)
    assert cascade.metadata["call_id"] == "cascade-legal-0715"
    assert all(t.start_ms is None and t.end_ms is None for t in cascade.turns)
    assert cascade.content.splitlines()[1].startswith("Rachel Morgan: Thank you.")


def test_gong_export_names_speakers_from_parties() -> None:
    parsed = parse_file(CALLS / "gong_harbor_telecom_demo.json", max_bytes=LIMIT)
    assert parsed.metadata["call_id"] == "4418273361920581734"
    assert parsed.metadata["title"] == "Harbor Telecom | Tidewater Billing demo"
    assert parsed.metadata["topics"][:3] == ["Introductions", "Current state", "Demo"]
    yuki = [p for p in parsed.metadata["participants"] if p["name"] == "Yuki Tanaka"][0]
    assert yuki == {"speaker_id": "9031776542018835520", "name": "Yuki Tanaka", "title": "Controller",
                    "affiliation": "External"}
    assert parsed.occurred_at == datetime(2025, 4, 16, 15, tzinfo=UTC)
    # Lauren's last "Introductions" and first "Decision process" monologues are split only by a topic
    # change in Gong's export: 35 monologues, 34 turns.
    raw = json.loads((CALLS / "gong_harbor_telecom_demo.json").read_text())
    assert len(raw["callTranscripts"][0]["transcript"]) == 35


def test_gong_speaker_missing_from_parties() -> None:
    parsed = parse_file(CALLS / "gong_pioneer_negotiation.json", max_bytes=LIMIT)
    sam = [t for t in parsed.turns if t.speaker == "Speaker 4001237789956612003"]
    assert len(sam) == 1 and sam[0].text.startswith("Sorry, this is Sam")
    assert parsed.warnings == ["1 speaker not named in parties; shown as 'Speaker <id>'"]


def test_examples_parse_for_the_demo() -> None:
    items = list(iter_transcript_files([EXAMPLES]))
    assert [p.suffix for p in items if isinstance(p, Path)] == [".vtt", ".txt", ".json", ".srt"]
    parsed = [parse_file(p, max_bytes=LIMIT) for p in items if isinstance(p, Path)]
    assert [p.format for p in parsed] == ["vtt", "txt", "gong", "srt"]
    assert all(len(p.turns) >= 30 and len(p.speakers) >= 4 and not p.warnings for p in parsed)
    assert {p.metadata.get("deal_id") for p in parsed if p.metadata.get("deal_id")} == {"ACME-2025-001"}


# --- content ------------------------------------------------------------------------------------

SMALL_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.500
Maya Chen: Thanks for joining.

2
00:00:04.500 --> 00:00:06.000
Maya Chen: Shall we start?

3
01:02:03.250 --> 01:02:05.000
Daniel Ortiz: Yes, our budget is $250,000.
"""
SMALL_CONTENT = ("[00:00:01] Maya Chen: Thanks for joining. Shall we start?\n"
                 "[01:02:03] Daniel Ortiz: Yes, our budget is $250,000.")


def test_content_is_one_line_per_turn_and_its_hash_is_stable() -> None:
    parsed = parse(SMALL_VTT, "call.vtt")
    assert parsed.content == SMALL_CONTENT
    assert parsed.content_sha256 == hashlib.sha256(SMALL_CONTENT.encode()).hexdigest()
    # Pinned: a change here changes every transcript's dedup key and cache key.
    assert parsed.content_sha256 == "737c2b9687f3833e79cd3bd11878d6c8bb7511c5c90c7bff8819b82e170f7533"
    assert parsed.turns[0] == Turn(speaker="Maya Chen", start_ms=1_000, end_ms=6_000,
                                   text="Thanks for joining. Shall we start?")


@pytest.mark.parametrize("name", [name for name, _, _, _ in REALISTIC])
def test_content_is_deterministic(name: str) -> None:
    first, second = (parse_file(CALLS / name, max_bytes=LIMIT) for _ in range(2))
    assert first.content == second.content and first.content_sha256 == second.content_sha256
    assert first.model_dump() == second.model_dump()


def test_content_omits_missing_parts() -> None:
    parsed = ParsedTranscript(format="txt", turns=[
        Turn(speaker=None, start_ms=None, end_ms=None, text="Recording started."),
        Turn(speaker="Ana", start_ms=None, end_ms=None, text="Hi."),
        Turn(speaker=None, start_ms=61_000, end_ms=None, text="(crosstalk)")])
    assert parsed.content == "Recording started.\nAna: Hi.\n[00:01:01] (crosstalk)"
    assert parsed.speakers == ["Ana"]


def test_same_call_in_three_formats_has_one_content() -> None:
    srt = SMALL_VTT.removeprefix("WEBVTT\n\n").replace(".", ",", 1)
    srt = "\n".join(line.replace(".", ",") if "-->" in line else line for line in srt.splitlines())
    as_json = json.dumps({"turns": [
        {"speaker": "Maya Chen", "start_ms": 1000, "end_ms": 6000, "text": "Thanks for joining. Shall we start?"},
        {"speaker": "Daniel Ortiz", "start_ms": 3723250, "text": "Yes, our budget is $250,000."}]})
    hashes = {parse(SMALL_VTT, "a.vtt").content_sha256, parse(srt, "a.srt").content_sha256,
              parse(as_json, "a.json").content_sha256}
    assert hashes == {hashlib.sha256(SMALL_CONTENT.encode()).hexdigest()}


def test_turn_is_frozen_and_normalised() -> None:
    turn = Turn(speaker="  Maya   Chen ", start_ms=0, end_ms=10, text="  two\n lines  ")
    assert (turn.speaker, turn.text) == ("Maya Chen", "two lines")
    with pytest.raises(ValidationError):
        turn.text = "changed"  # type: ignore[misc]
    assert Turn(speaker="   ", start_ms=None, end_ms=None, text="x").speaker is None


# --- encodings and line endings -------------------------------------------------------------------

def test_bom_and_crlf_parse_normally() -> None:
    parsed = parse_file(BAD / "windows_export.srt", max_bytes=LIMIT)
    assert parsed.warnings == []
    assert [t.speaker for t in parsed.turns] == ["Hannah Lee", "Carlos Ruiz", "Hannah Lee", "Carlos Ruiz"]
    assert parsed.turns[2].text == "These 2,300 invoices are waiting on approval, some of them for more than thirty days."
    assert (parsed.turns[2].start_ms, parsed.turns[2].end_ms) == (6_500, 12_900)
    crlf = parse(b"\xef\xbb\xbf" + SMALL_VTT.replace("\n", "\r\n").encode(), "call.vtt")
    assert crlf.content == SMALL_CONTENT


def test_lone_cr_line_endings() -> None:
    assert parse(SMALL_VTT.replace("\n", "\r"), "call.vtt").content == SMALL_CONTENT


def test_not_utf8_falls_back_to_latin1_with_a_warning() -> None:
    parsed = parse_file(BAD / "latin1_notes.txt", max_bytes=LIMIT)
    assert parsed.speakers == ["José Peña", "Zoë Müller"]
    assert "€250.000 for the first year – that's firm." in parsed.turns[0].text
    assert parsed.metadata["title"] == "Call notes from Peña Distribución"
    assert len(parsed.warnings) == 1 and parsed.warnings[0].startswith("decoded as Latin-1 (cp1252)")


def test_bytes_cp1252_leaves_undefined_still_decode() -> None:
    parsed = parse(b"Ana: caf\xe9 \x81ok", "notes.txt")
    assert parsed.turns[0].text == "café \x81ok"
    assert "Latin-1" in parsed.warnings[0]


def test_utf16_with_bom() -> None:
    data = codecs.BOM_UTF16_LE + SMALL_VTT.encode("utf-16-le")
    assert parse(data, "teams.vtt").content == SMALL_CONTENT


# --- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("file", "problem"), [
    ("empty.txt", "empty file"),
    ("whitespace_only.srt", "empty file (only whitespace)"),
    ("header_only.vtt", "no speaker turns found"),
    ("recording.vtt", "binary file, not a transcript"),
])
def test_bad_fixture_files(file: str, problem: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_file(BAD / file, max_bytes=LIMIT)
    assert caught.value.problem == problem
    assert caught.value.path == str(BAD / file)


def test_binary_without_nul_bytes() -> None:
    assert refused(bytes(range(1, 32)) * 50, "x.txt") == "binary file, not a transcript"


def test_malformed_cues_are_skipped_and_counted() -> None:
    parsed = parse_file(BAD / "malformed_cues.vtt", max_bytes=LIMIT)
    assert [(t.speaker, t.start_ms, t.end_ms) for t in parsed.turns] == [
        ("Grace Liu", 1_200, 5_900), ("Omar Siddiqui", 6_400, 9_100), ("Grace Liu", 11_000, 14_500),
        ("Omar Siddiqui", 15_200, 19_800), ("Grace Liu", 23_400, 27_900)]
    [warning] = parsed.warnings
    assert warning.startswith("skipped 3 malformed cues (")
    assert "line 12: bad timestamp" in warning and "before start" in warning and "no '-->'" in warning


@pytest.mark.parametrize(("data", "name"), [
    ("1\n00:00:01,000 --> 00:00:02,000\nAna: ok\n\n2\n00:00:03,000 --> 00:00:02,500\nBo: bad\n", "a.srt"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAna: ok\n\n00:61:03.000 --> 00:61:04.000\nBo: bad\n", "a.vtt"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAna: ok\n\nid-7\n00:00:03.000 to 00:00:04.000\nBo: bad\n", "a.vtt"),
])
def test_one_bad_cue_does_not_lose_the_file(data: str, name: str) -> None:
    parsed = parse(data, name)
    assert [t.speaker for t in parsed.turns] == ["Ana"]
    assert parsed.warnings[0].startswith("skipped 1 malformed cue (")


def test_only_malformed_cues_is_an_error() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_file(BAD / "all_malformed.srt", max_bytes=LIMIT)
    assert caught.value.problem.startswith("no valid cues: skipped 2 malformed cues")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_file(BAD / "truncated.json", max_bytes=LIMIT)
    assert caught.value.problem == "invalid JSON at line 5, column 32: Expecting ',' delimiter"


def test_json_of_unknown_shape_names_the_expected_keys() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_file(BAD / "unknown_shape.json", max_bytes=LIMIT)
    problem = caught.value.problem
    assert '"turns"' in problem and '"callTranscripts"' in problem and "found keys: meeting, utterances" in problem
    assert "got a list" in refused("[1, 2]", "a.json")


@pytest.mark.parametrize(("document", "problem"), [
    ({"turns": [{"speaker": "Ana"}]}, "turns[0].text: Field required"),
    ({"turns": "Ana: hi"}, "turns: Input should be a valid list"),
    ({"turns": [{"speaker": "Ana", "start_ms": 5, "end_ms": 1, "text": "x"}]}, "end_ms is before start_ms"),
    ({"turns": [{"speaker": "Ana", "start_ms": -1, "text": "x"}]}, "turns[0].start_ms"),
    ({"turns": []}, "no speaker turns found"),
    ({"turns": [{"speaker": "Ana", "text": "   "}]}, "no speaker turns found"),
    ({"callTranscripts": [{"callId": "1"}]}, "callTranscripts[0].transcript: Field required"),
    ({"callTranscripts": []}, "no speaker turns found (callTranscripts is empty)"),
    ({"callTranscripts": [{"callId": "1", "transcript": []}, {"callId": "2", "transcript": []}]},
     "Gong export holds 2 calls; split it into one file per call"),
])
def test_json_problems(document: object, problem: str) -> None:
    assert problem in refused(json.dumps(document), "call.json")


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    assert refused("[" * 100_000, "deep.json") == "invalid JSON: nested too deeply"


def test_unsupported_suffix() -> None:
    assert refused("Ana: hi", "notes.pages") == (
        "unsupported file type '.pages'; expected one of .vtt, .srt, .txt, .json, .md, .markdown, .docx")


def test_size_limit_in_memory() -> None:
    with pytest.raises(TranscriptError) as caught:
        parse(b"Ana: " + b"x" * 2_000, "big.txt", max_bytes=1_024)
    assert caught.value.problem == "file is 2,005 bytes, larger than the 1,024-byte limit"


def test_size_limit_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.vtt"
    path.write_bytes(b"WEBVTT\n\n" + b"x" * 5_000)

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("read a file that is over the limit")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(TranscriptError) as caught:
        parse_file(path, max_bytes=1_024)
    assert caught.value.problem == "file is 5,008 bytes, larger than the 1,024-byte limit"
    assert caught.value.path == str(path)


def test_parse_file_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(TranscriptError, match="no such file") as missing:
        parse_file(tmp_path / "gone.srt", max_bytes=LIMIT)
    assert missing.value.path == str(tmp_path / "gone.srt")
    (tmp_path / "folder.vtt").mkdir()
    with pytest.raises(TranscriptError, match="not a regular file"):
        parse_file(tmp_path / "folder.vtt", max_bytes=LIMIT)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(TranscriptError) as bad:
        parse_file(tmp_path / "bad.json", max_bytes=LIMIT)
    assert str(bad.value).startswith(str(tmp_path / "bad.json") + ": invalid JSON at line 1")


# --- format details ---------------------------------------------------------------------------------

def test_turn_text_stripped_empty_turns_dropped_speakers_stripped() -> None:
    parsed = parse(json.dumps({"turns": [
        {"speaker": "  Maya Chen ", "text": "  Hello  "},
        {"speaker": "Daniel Ortiz", "text": ""},
        {"speaker": "  ", "text": "[inaudible]"},
        {"speaker": None, "text": " \n "}]}), "c.json")
    assert [(t.speaker, t.text) for t in parsed.turns] == [("Maya Chen", "Hello"), (None, "[inaudible]")]


def test_text_format_rules() -> None:
    parsed = parse(
        "Recording in progress.\n"
        "[00:05] Maya Chen: So the plan is: pilot first.\n"
        "  and then the rollout\n"
        "\n"
        "[1:02:03] Daniel Ortiz:\n"
        "Agreed, next steps are the MSA.\n"
        "Speaker 2: Dr. de la Cruz here.\n"
        "Maya Chen:   \n", "notes.txt")
    assert [(t.speaker, t.start_ms, t.text) for t in parsed.turns] == [
        (None, None, "Recording in progress."),
        ("Maya Chen", 5_000, "So the plan is: pilot first. and then the rollout"),
        ("Daniel Ortiz", 3_723_000, "Agreed, next steps are the MSA."),
        ("Speaker 2", None, "Dr. de la Cruz here.")]


def test_vtt_details() -> None:
    parsed = parse(
        "WEBVTT - Helix pricing call\nKind: captions\n\n"
        "NOTE exported by Teams\n\n"
        "STYLE\n::cue { color: white }\n\n"
        "a1b2c3d4-0000-4000-8000-000000000000/12-0\n"
        "01:02.000 --> 01:04.000 align:start position:10%\n"
        "<v.loud Rebecca Walsh><i>We need</i> SOC 2 &amp; a BAA.</v>\n\n"
        "2\n00:01:04.000 --> 00:01:06.000\nno label on this cue\n", "call.vtt")
    assert parsed.metadata == {"title": "Helix pricing call"}
    assert [(t.speaker, t.start_ms, t.text) for t in parsed.turns] == [
        ("Rebecca Walsh", 62_000, "We need SOC 2 & a BAA."), (None, 64_000, "no label on this cue")]


def test_vtt_without_header_parses_with_a_warning() -> None:
    parsed = parse("00:00:01.000 --> 00:00:02.000\nAna: hi\n", "call.vtt")
    assert parsed.turns[0].speaker == "Ana"
    assert parsed.warnings == ["no WEBVTT header; read as WebVTT because of the file name"]


def test_captions_saved_as_txt_are_read_as_captions() -> None:
    assert parse(SMALL_VTT, "call.txt").format == "vtt"
    assert parse("1\n00:00:01,000 --> 00:00:02,000\nAna: hi\n", "call.txt").format == "srt"


def test_gong_without_parties_and_with_numeric_ids() -> None:
    parsed = parse(json.dumps({"callTranscripts": [{"callId": 42, "transcript": [
        {"speakerId": 7, "sentences": [{"start": 0, "end": 900, "text": "Hi."},
                                       {"start": 900, "end": 1500, "text": "Budget is $90,000."}]},
        {"speakerId": 8, "sentences": [{"start": 1600, "end": 2000, "text": "Noted."}]}]}]}), "g.json")
    assert parsed.format == "gong" and parsed.warnings == [] and parsed.occurred_at is None
    assert parsed.metadata == {"call_id": "42"}
    assert [(t.speaker, t.start_ms, t.end_ms, t.text) for t in parsed.turns] == [
        ("Speaker 7", 0, 1_500, "Hi. Budget is $90,000."), ("Speaker 8", 1_600, 2_000, "Noted.")]


@pytest.mark.parametrize(("value", "expected", "warning"), [
    ("2025-03-04T15:00:00Z", datetime(2025, 3, 4, 15, tzinfo=UTC), None),
    ("2025-03-04T10:00:00-05:00", datetime(2025, 3, 4, 15, tzinfo=UTC), None),
    ("2025-03-04 15:00", datetime(2025, 3, 4, 15, tzinfo=UTC), "occurred_at has no time zone; assumed UTC"),
    ("last Tuesday", None, "ignored occurred_at 'last Tuesday': not an ISO 8601 date-time"),
])
def test_json_occurred_at(value: str, expected: datetime | None, warning: str | None) -> None:
    parsed = parse(json.dumps({"occurred_at": value, "turns": [{"speaker": "A", "text": "x"}]}), "c.json")
    assert parsed.occurred_at == expected
    assert parsed.occurred_at is None or parsed.occurred_at.tzinfo is not None
    assert parsed.warnings == ([warning] if warning else [])


# --- finding files ------------------------------------------------------------------------------

def test_iter_transcript_files_on_a_mixed_folder(tmp_path: Path) -> None:
    for rel in ["b.vtt", "a.srt", "notes.md", "slides.key", "deck.pdf", ".hidden.txt", "sub/c.json", "sub/z.TXT",
                "sub/deeper/d.txt", ".git/e.vtt", "sub/.cache/f.srt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("Ana: hi\n")
    items = list(iter_transcript_files([
        tmp_path, tmp_path / "missing.vtt", tmp_path / "deck.pdf", tmp_path / "b.vtt", tmp_path / ".hidden.txt"]))
    paths = [item.relative_to(tmp_path).as_posix() for item in items if isinstance(item, Path)]
    assert paths == ["a.srt", "b.vtt", "notes.md", "sub/c.json", "sub/z.TXT", "sub/deeper/d.txt", ".hidden.txt"]
    errors = [item for item in items if isinstance(item, TranscriptError)]
    assert [(Path(e.path).name, e.problem) for e in errors] == [
        ("missing.vtt", "no such file or directory"),
        ("deck.pdf", "unsupported file type '.pdf'; expected one of .vtt, .srt, .txt, .json, .md, .markdown, .docx")]


def test_iter_transcript_files_finds_files_without_parsing_them(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{")
    assert list(iter_transcript_files([tmp_path])) == [tmp_path / "broken.json"]
    assert SUFFIXES == (".vtt", ".srt", ".txt", ".json", ".md", ".markdown", ".docx")
