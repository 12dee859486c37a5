"""The filesystem checks: the cache directory is writable, the database's disk has room (the directory the
embedded cluster actually uses: as root that can be under /var/lib/asmis, not ASMIS_DATA_DIR). Run in a
thread: a stuck filesystem must not stall the other checks."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from lib.db.embedded import EmbeddedPostgres
from lib.doctor.check import Check, DoctorContext, fail, ok, warn
from lib.errors import AsmisError
from lib.settings import Settings

MB = 1024 * 1024


async def check_cache_dir(ctx: DoctorContext) -> list[Check]:
    return [await asyncio.to_thread(_cache_dir, ctx.settings.cache_dir)]


async def check_disk(ctx: DoctorContext) -> list[Check]:
    return [await asyncio.to_thread(_disk, database_dir(ctx.settings), ctx.settings.doctor_min_free_mb)]


def database_dir(settings: Settings) -> Path:
    """Where the embedded cluster lives (ASMIS_DATA_DIR/postgres, or as root under /var/lib/asmis when the data
    dir is private); the data dir itself with ASMIS_DATABASE_URL, or when the layout cannot be worked out."""
    if settings.database_url is not None:
        return settings.data_dir
    try:
        return EmbeddedPostgres(settings.data_dir).layout.root
    except AsmisError:  # the database check names the problem
        return settings.data_dir


def _cache_dir(path: Path) -> Check:
    name = "cache dir"
    fix = "set ASMIS_CACHE_DIR to a directory this user can write, or fix its permissions"
    if not path.exists():  # made on first use: the doctor only asks whether it could be
        parent = _existing(path)
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            return ok(name, f"{path} does not exist yet; {parent} lets it be made on first use")
        return fail(name, f"{path} cannot be made: {parent} is not a writable directory", fix)
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".asmis-doctor-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as exc:
        return fail(name, f"{path} is not writable ({type(exc).__name__}: {exc.strerror or exc})", fix)
    return ok(name, f"{path} is writable")


def _existing(path: Path) -> Path:
    """The path, or its nearest existing parent: where a data dir not made yet will live."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _disk(data_dir: Path, min_free_mb: int) -> Check:
    name = "disk"
    where = _existing(data_dir)
    try:
        usage = shutil.disk_usage(where)
    except OSError as exc:
        return fail(name, f"cannot read the free space of {where} ({type(exc).__name__})",
                    "set ASMIS_DATA_DIR to a directory this user can read")
    free_mb = usage.free // MB
    found = f"{_size(usage.free)} free of {_size(usage.total)} for {data_dir}"
    if not os.access(where, os.W_OK):
        return fail(name, f"{found}, but {where} is not writable", "set ASMIS_DATA_DIR to a writable directory")
    if free_mb < min_free_mb:
        return fail(name, f"{found}: below ASMIS_DOCTOR_MIN_FREE_MB ({min_free_mb} MB)",
                    "free some space on that disk, or set ASMIS_DATA_DIR to a larger one")
    if free_mb < 4 * min_free_mb:
        return warn(name, f"{found}: less than 4x ASMIS_DOCTOR_MIN_FREE_MB ({min_free_mb} MB)",
                    "free some space on that disk before a large backfill")
    return ok(name, found)


def _size(count: int) -> str:
    return f"{count / (1024 * MB):.1f} GB" if count >= 1024 * MB else f"{count // MB} MB"
