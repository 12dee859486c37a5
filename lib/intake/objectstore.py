"""Object storage and local folders as a source, through fsspec: `s3://` (s3fs), `gs://` (gcsfs), `az://`
(adlfs) and `file://` folders. Credentials come from each store's own environment and config files;
for S3 that is the AWS chain (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`,
`AWS_PROFILE`), and `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points it at MinIO or another
S3-compatible store.

Only objects under the prefix with a suffix ingest knows are listed; an object's external id is its key
relative to the prefix, its version its ETag (else modification time and size). fsspec's calls block,
so they run on a worker thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lib.errors import SourceError
from lib.intake.items import Fetched, Listed
from lib.intake.sources import SourceSpec
from lib.transcripts import SUFFIXES

OUTSIDE_SOURCE = "symbolic link to a file outside the folder: not read (ASMIS_FOLLOW_SYMLINKS=true reads it)"
_PACKAGES = {"s3": "s3fs", "gs": "gcsfs", "az": "adlfs"}
_VERSION_KEYS = ("ETag", "etag", "md5Hash", "content_md5")
_TIME_KEYS = ("LastModified", "last_modified", "updated", "mtime", "created")


class ObjectStoreSource:
    refetch_by_id = False

    def __init__(self, spec: SourceSpec, fs: Any = None, *, follow_symlinks: bool = False) -> None:
        self.spec = spec
        self.follow_symlinks = follow_symlinks
        self.requests = 0
        self.throttled = 0  # the store's own client retries its throttling
        self.pages = 0
        self.fs = fs if fs is not None else open_filesystem(spec)

    async def list_items(self, since: datetime, until: datetime) -> list[Listed]:
        """Every object under the prefix modified since `since`, of a known format (`until` does not cut:
        the listing is now)."""
        found = await self._call(self._find)
        self.pages += 1
        listed = []
        for path, info in sorted(found.items()):
            key = path.removeprefix(self.spec.root.lstrip("/") if self.spec.protocol != "file" else self.spec.root)
            key = key.lstrip("/")
            if info.get("type") == "directory" or not key or any(p.startswith(".") for p in key.split("/")):
                continue
            if not key.lower().endswith(SUFFIXES):
                continue
            when = _modified(info)
            if when is not None and when < since:
                continue
            listed.append(Listed(external_id=key, version=_version(info), name=key.rsplit("/", 1)[-1],
                                 occurred_at=when, title=None, size=info.get("size"), extra={"path": path}))
        return listed

    async def fetch(self, items: list[Listed]) -> AsyncIterator[Fetched]:
        for item in items:
            if self._outside(item.extra["path"]):
                yield Fetched(item, None, refused=OUTSIDE_SOURCE)
                continue
            data = await self._call(self.fs.cat_file, item.extra["path"])
            yield Fetched(item, bytes(data), metadata={"object_key": item.external_id})

    def _outside(self, path: str) -> bool:
        """A file:// folder's link (or a file under a linked folder) that resolves outside the folder."""
        if self.spec.protocol != "file" or self.follow_symlinks:
            return False
        return not Path(os.path.realpath(path)).is_relative_to(os.path.realpath(self.spec.root))

    def _find(self) -> dict[str, Any]:
        root = self.spec.root
        if self.spec.protocol == "file" and not os.path.isdir(root):
            raise FileNotFoundError(root)
        found = self.fs.find(root, detail=True)
        return dict(found)

    async def _call(self, fn: Any, *args: Any) -> Any:
        self.requests += 1
        try:
            return await asyncio.to_thread(fn, *args)
        except FileNotFoundError:
            raise SourceError(f"{self.spec.url}: no such bucket, container or folder", source=self.spec.url) from None
        except PermissionError as exc:
            raise SourceError(f"{self.spec.url}: access denied ({_short(exc)}); check the store's credentials",
                              source=self.spec.url) from None
        except OSError as exc:
            raise SourceError(f"{self.spec.url}: cannot read ({_short(exc)})", source=self.spec.url,
                              retryable=True) from None
        except Exception as exc:  # the store's own client errors (botocore, azure, google) are not ours
            raise SourceError(f"{self.spec.url}: cannot read ({type(exc).__name__}: {_short(exc)})",
                              source=self.spec.url, retryable=_transient(exc)) from None

    def by_id(self, external_id: str) -> Listed:
        raise NotImplementedError("listed again by the lookback window instead")

    async def aclose(self) -> None:
        return None


def open_filesystem(spec: SourceSpec) -> Any:
    import fsspec

    options: dict[str, Any] = {}
    if spec.protocol == "s3":
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_url"] = endpoint
    try:
        # A fresh instance per pull: fsspec caches listings on a shared instance, and a pull must see now.
        return fsspec.filesystem(spec.protocol, skip_instance_cache=True, **options)
    except (ImportError, ValueError) as exc:
        package = _PACKAGES.get(spec.protocol, spec.protocol)
        raise SourceError(f"{spec.url}: {spec.protocol}:// needs the {package} package "
                          f"(pip install {package}): {_short(exc)}", source=spec.url) from None


def _version(info: dict[str, Any]) -> str:
    for key in _VERSION_KEYS:
        if info.get(key):
            return str(info[key]).strip('"')
    return f"{info.get('size', '')}:{info.get('mtime') or info.get('LastModified') or ''}"


def _modified(info: dict[str, Any]) -> datetime | None:
    for key in _TIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str) and value:
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _transient(exc: BaseException) -> bool:
    name = type(exc).__name__
    return any(word in name for word in ("Timeout", "Connection", "Endpoint", "Throttl", "ServerError"))
