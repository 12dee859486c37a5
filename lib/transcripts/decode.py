"""Bytes to text, refusing what is not text.

The decoding rule, in order:
1. A UTF-16 byte-order mark: UTF-16 (some Windows tools export captions that way). Without the mark,
   UTF-16 is told by its zero bytes: text in a Latin script has a NUL in every other byte, on the
   odd side (little-endian) or the even side (big-endian), and almost none on the other; read so,
   with a warning.
2. Any NUL byte, or more than 10% control characters in the first 8 KiB: a binary file, refused.
3. Valid UTF-8 (a UTF-8 BOM is dropped): UTF-8.
4. Otherwise cp1252, the Windows superset of Latin-1 that exports from Office and older Windows tools
   use; the five bytes cp1252 leaves undefined fall back to plain Latin-1. Either way a warning says
   the file was not UTF-8, because a wrong guess shows up as odd characters in names and quotes.
Line endings are normalised to `\\n` afterwards, so CRLF and lone CR files parse like any other.
"""

from __future__ import annotations

import codecs

from lib.transcripts.models import BadTranscript

_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.10
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1b")


def decode(data: bytes) -> tuple[str, list[str]]:
    """Return the text (newlines normalised, BOM dropped) and any warnings about how it was decoded."""
    warnings: list[str] = []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode_utf16(data)
    elif (unmarked := _utf16_without_bom(data)) is not None:
        text = unmarked
        warnings.append("decoded as UTF-16 (no byte-order mark; told by its zero bytes)")
    else:
        if looks_binary(data):
            raise BadTranscript("binary file, not a transcript")
        text = _decode_8bit(data, warnings)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadTranscript("empty file" if not data else "empty file (only whitespace)")
    return text, warnings


def looks_binary(data: bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    if b"\x00" in data:
        return True
    controls = sum(1 for byte in head if (byte < 0x20 or byte == 0x7F) and byte not in _TEXT_CONTROLS)
    return bool(head) and controls / len(head) > _MAX_CONTROL_SHARE


def _decode_utf16(data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise BadTranscript(f"starts with a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})") from exc


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark, if the zero bytes of the first 8 KiB say so."""
    head = data[:_SNIFF_BYTES]
    pairs = len(head) // 2
    if pairs < 2 or len(data) % 2:
        return None
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    if odd >= pairs * 0.3 and even <= pairs * 0.02:
        encoding = "utf-16-le"
    elif even >= pairs * 0.3 and odd <= pairs * 0.02:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return None if looks_binary(text.encode("utf-8", "replace")) else text


def _decode_8bit(data: bytes, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"byte {exc.start}"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    warnings.append(f"decoded as Latin-1 (cp1252): not valid UTF-8 at {where}")
    return text
