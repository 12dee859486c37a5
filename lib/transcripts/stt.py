"""Speech-to-text JSON, as the vendors' APIs return it, told apart by its keys:

- AssemblyAI (`format="assemblyai"`): a transcript with `utterances` (`speaker` a letter, `start`/`end`
  in milliseconds, `text`).
- Deepgram (`format="deepgram"`): pre-recorded `results.utterances` (with `utterances=true`: `speaker`
  a number, `start`/`end` in seconds, `transcript`), else `results.channels[0].alternatives[0].paragraphs`
  (with `paragraphs=true` and `diarize=true`: paragraphs of sentences, each paragraph one speaker).
- WhisperX / pyannote (`format="whisperx"`): `segments` with `speaker` (`SPEAKER_00`), `start`/`end` in
  seconds and `text`; consecutive segments of one speaker become one turn.
- AWS Transcribe (`format="aws-transcribe"`): `results.items` (words and punctuation, each word with a
  `speaker_label` or placed by `results.speaker_labels.segments`), joined into one turn per run of one
  speaker.

Speakers are `Speaker A`, `Speaker 0`, `SPEAKER_00`, `spk_0` as the vendor numbers them, until the call
names them (`names.py`). Timestamps are kept as milliseconds.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from lib.transcripts.models import BadTranscript, ParsedTranscript, Turn
from lib.transcripts.names import name_speakers
from lib.transcripts.turns import build_turns, parse_when, require_turns


def stt_format(document: dict[str, Any]) -> str | None:
    """Which vendor wrote this JSON, or None."""
    results = document.get("results")
    utterances = document.get("utterances")
    if isinstance(utterances, list) and not isinstance(results, dict) and utterances and isinstance(
            utterances[0], dict) and {"speaker", "text"} <= utterances[0].keys():
        return "assemblyai"
    if isinstance(results, dict):
        if isinstance(results.get("items"), list) and ("speaker_labels" in results or "transcripts" in results):
            return "aws-transcribe"
        if isinstance(results.get("utterances"), list) or isinstance(results.get("channels"), list):
            return "deepgram"
    segments = document.get("segments")
    if isinstance(segments, list) and segments and all(isinstance(s, dict) for s in segments[:5]) and any(
            "speaker" in s for s in segments[:50]):
        return "whisperx"
    return None


def parse_stt(document: dict[str, Any], vendor: str) -> ParsedTranscript:
    readers = {"assemblyai": _assemblyai, "deepgram": _deepgram, "whisperx": _whisperx, "aws-transcribe": _aws}
    turns = require_turns(build_turns(readers[vendor](document), merge=True), f"a {vendor} transcript without text")
    metadata = _metadata(document)
    turns, people = name_speakers(turns, metadata)
    warnings: list[str] = []
    created = (document.get("metadata") or {}).get("created") if vendor == "deepgram" else document.get("created")
    occurred_at = parse_when(created, warnings, "created") if isinstance(created, str) else None
    return ParsedTranscript(format=vendor, turns=turns, metadata=metadata, participants=people,
                            occurred_at=occurred_at, warnings=warnings)


def _metadata(document: dict[str, Any]) -> dict[str, Any]:
    ident = document.get("id") or document.get("jobName") or (document.get("metadata") or {}).get("request_id")
    return {"call_id": str(ident)} if ident else {}


def _ms(seconds: object) -> int | None:
    try:
        value = float(str(seconds))
    except ValueError:
        return None
    return max(0, round(value * 1000))


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise BadTranscript(f"not a valid transcript: {where}: text missing")
    return value


def _speaker(value: object, prefix: str = "Speaker ") -> str | None:
    if value is None or value == "":
        return None
    return f"{prefix}{value}" if isinstance(value, int) or len(str(value)) <= 2 else str(value)


def _assemblyai(document: dict[str, Any]) -> list[Turn]:
    turns = []
    for index, item in enumerate(document["utterances"]):
        if not isinstance(item, dict):
            raise BadTranscript(f"not a valid AssemblyAI transcript: utterances[{index}] is not an object")
        start, end = item.get("start"), item.get("end")
        turns.append(Turn(speaker=_speaker(item.get("speaker")), text=_text(item.get("text"), f"utterances[{index}]"),
                          start_ms=int(start) if isinstance(start, int | float) else None,
                          end_ms=int(end) if isinstance(end, int | float) else None))
    return turns


def _deepgram(document: dict[str, Any]) -> list[Turn]:
    results = document["results"]
    if isinstance(results.get("utterances"), list):
        return [Turn(speaker=_speaker(u.get("speaker")), start_ms=_ms(u.get("start")), end_ms=_ms(u.get("end")),
                     text=_text(u.get("transcript"), f"results.utterances[{i}]"))
                for i, u in enumerate(results["utterances"]) if isinstance(u, dict)]
    try:
        paragraphs = results["channels"][0]["alternatives"][0]["paragraphs"]["paragraphs"]
    except (KeyError, IndexError, TypeError) as exc:
        raise BadTranscript("a Deepgram response without utterances or paragraphs: request it with "
                            "utterances=true (or paragraphs=true) and diarize=true") from exc
    return [Turn(speaker=_speaker(p.get("speaker")), start_ms=_ms(p.get("start")), end_ms=_ms(p.get("end")),
                 text=" ".join(str(s.get("text", "")) for s in p.get("sentences") or [] if isinstance(s, dict)))
            for p in paragraphs if isinstance(p, dict)]


def _whisperx(document: dict[str, Any]) -> list[Turn]:
    return [Turn(speaker=_speaker(s.get("speaker")), start_ms=_ms(s.get("start")), end_ms=_ms(s.get("end")),
                 text=_text(s.get("text"), f"segments[{i}]"))
            for i, s in enumerate(document["segments"]) if isinstance(s, dict)]


def _aws(document: dict[str, Any]) -> list[Turn]:
    results = document["results"]
    segments = [s for s in (results.get("speaker_labels") or {}).get("segments") or [] if isinstance(s, dict)]
    starts = [_ms(s.get("start_time")) or 0 for s in segments]
    runs: list[tuple[str | None, int | None, list[int | None], list[str]]] = []  # speaker, start, [end], words
    for item in results["items"]:
        if not isinstance(item, dict) or not item.get("alternatives"):
            continue
        word = str(item["alternatives"][0].get("content", ""))
        if item.get("type") == "punctuation":
            if runs and runs[-1][3]:
                runs[-1][3][-1] += word
            continue
        start = _ms(item.get("start_time"))
        label = item.get("speaker_label")
        if label is None and segments and start is not None:
            at = bisect_right(starts, start) - 1
            label = segments[at].get("speaker_label") if at >= 0 else None
        speaker = _speaker(label)
        if not runs or runs[-1][0] != speaker:
            runs.append((speaker, start, [None], []))
        runs[-1][2][0] = _ms(item.get("end_time"))
        runs[-1][3].append(word)
    return [Turn(speaker=speaker, start_ms=start, end_ms=end[0], text=" ".join(words))
            for speaker, start, end, words in runs]
