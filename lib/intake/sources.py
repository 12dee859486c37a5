"""Source URLs (`ASMIS_SOURCES`) parsed and normalised: the normalised URL is the `source` of every
transcript pulled from it, so one source always has one spelling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from lib.errors import ConfigError

Kind = Literal["gong", "zoom", "objectstore"]
_STORES = ("s3", "gs", "az", "file")


@dataclass(frozen=True)
class SourceSpec:
    kind: Kind
    url: str  # normalised: gong://, gong://WORKSPACE, zoom://, zoom://USER, s3://bucket/prefix/, file:///abs/dir/
    arg: str | None = None  # Gong workspace id, Zoom user id
    protocol: str = ""  # object storage: s3, gs, az, file
    root: str = ""  # object storage: bucket/prefix/ (or /abs/dir/), as fsspec names it

    @property
    def label(self) -> str:
        return self.url


def parse_source(raw: str) -> SourceSpec:
    """One URL or folder path to its spec; a bad one raises ConfigError naming it."""
    text = raw.strip()
    if not text:
        raise ConfigError("empty source URL")
    if "://" not in text:
        return _folder(Path(text))
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("gong", "zoom"):
        if parts.path.strip("/") or parts.query:
            raise ConfigError(f"source {text!r}: expected {scheme}:// or {scheme}://ID, nothing after the id")
        arg = parts.netloc or None
        if scheme == "zoom" and arg == "me":
            arg = None
        return SourceSpec(kind=scheme, url=f"{scheme}://{arg or ''}", arg=arg)  # type: ignore[arg-type]
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"source {text!r}: file:// URLs name a local folder (file:///abs/dir/)")
        return _folder(Path(unquote(parts.path)))
    if scheme in ("s3", "gs", "az", "abfs"):
        if not parts.netloc:
            raise ConfigError(f"source {text!r}: no bucket or container")
        prefix = parts.path.strip("/")
        root = f"{parts.netloc}/{prefix}/" if prefix else f"{parts.netloc}/"
        protocol = "az" if scheme == "abfs" else scheme
        return SourceSpec(kind="objectstore", url=f"{protocol}://{root}", protocol=protocol, root=root)
    raise ConfigError(f"source {text!r}: unknown scheme {scheme}://; expected gong://, zoom://, s3://, gs://, "
                      "az://, file:// or a folder path")


def _folder(path: Path) -> SourceSpec:
    absolute = path.expanduser().absolute()
    root = absolute.as_posix().rstrip("/") + "/"
    return SourceSpec(kind="objectstore", url=f"file://{root}", protocol="file", root=root)


def parse_sources(value: str | list[str]) -> list[SourceSpec]:
    """Comma-separated (or a list of) URLs, each once, in the order given."""
    raw = value.split(",") if isinstance(value, str) else value
    specs: dict[str, SourceSpec] = {}
    for item in raw:
        if item.strip():
            spec = parse_source(item)
            specs.setdefault(spec.url, spec)
    return list(specs.values())
