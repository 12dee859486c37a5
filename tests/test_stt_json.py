"""Speech-to-text JSON (issue 29): our own samples in tests/fixtures/wild, written from AssemblyAI's,
Deepgram's, WhisperX's and AWS Transcribe's documented response shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lib.errors import TranscriptError
from lib.transcripts import ParsedTranscript, parse_bytes, parse_file

WILD = Path(__file__).parent / "fixtures" / "wild"


def parse(name: str) -> ParsedTranscript:
    return parse_file(WILD / name, max_bytes=1_000_000)


def test_assemblyai_utterances_with_self_introductions() -> None:
    parsed = parse("assemblyai.json")
    assert parsed.format == "assemblyai"
    assert parsed.speakers == ["Sofia Grant", "Ben Adler", "Speaker C"]
    assert len(parsed.turns) == 5 and parsed.turns[1].start_ms == 3300 and parsed.turns[1].end_ms == 7400
    ben = next(p for p in parsed.participants if p.name == "Ben Adler")
    assert (ben.title, ben.company) == ("head of operations", "Kestrel Foods")
    assert parsed.metadata["unnamed_speakers"] == ["Speaker C"]
    assert parsed.metadata["call_id"] == "aai-5c1e"


def test_deepgram_utterances() -> None:
    parsed = parse("deepgram.json")
    assert parsed.format == "deepgram"
    assert [t.speaker for t in parsed.turns] == ["Speaker 0", "Speaker 1", "Speaker 0"]
    assert parsed.turns[0].text == "Morning, thanks for joining the demo. I'll share my screen."
    assert (parsed.turns[0].start_ms, parsed.turns[0].end_ms) == (400, 5000)
    assert parsed.occurred_at == datetime(2025, 4, 2, 16, tzinfo=UTC)


def test_deepgram_paragraphs() -> None:
    parsed = parse("deepgram_paragraphs.json")
    assert [t.speaker for t in parsed.turns] == ["Speaker 0", "Speaker 1"]
    assert parsed.turns[0].text == "Thanks for the time. Shall we start with your goals?"


def test_whisperx_segments_of_one_speaker_become_one_turn() -> None:
    parsed = parse("whisperx.json")
    assert parsed.format == "whisperx"
    assert [t.speaker for t in parsed.turns] == ["SPEAKER_00", "Carla Mendes", "SPEAKER_00"]
    assert parsed.turns[0].text == "Thanks for hopping on. I sent the proposal yesterday."
    assert parsed.metadata["unnamed_speakers"] == ["SPEAKER_00"]


def test_aws_transcribe_items_by_speaker() -> None:
    parsed = parse("aws_transcribe.json")
    assert parsed.format == "aws-transcribe"
    assert [(t.speaker, t.text, t.start_ms, t.end_ms) for t in parsed.turns] == [
        ("spk_0", "Welcome aboard.", 500, 2000), ("spk_1", "Glad to be.", 2400, 4000)]


def test_an_unknown_json_shape_names_what_is_expected() -> None:
    with pytest.raises(TranscriptError, match="AssemblyAI.*found keys: foo"):
        parse_bytes(b'{"foo": 1}', name="x.json", max_bytes=1000)


def test_a_deepgram_response_without_diarised_text_is_refused_in_one_line() -> None:
    with pytest.raises(TranscriptError, match="utterances=true"):
        parse_bytes(b'{"results": {"channels": [{"alternatives": [{"transcript": "hi"}]}]}}', name="d.json",
                    max_bytes=1000)


def test_the_llm_reads_unnamed_speakers_as_unnamed() -> None:
    from lib.llm.base import participant_lines

    parsed = parse("assemblyai.json")
    lines = participant_lines(parsed.metadata)
    assert "- unnamed (Speaker C): the call does not say who this is; not a named stakeholder" in lines
    assert any(line.startswith("- Ben Adler, head of operations, Kestrel Foods") for line in lines)
