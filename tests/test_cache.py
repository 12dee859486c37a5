from __future__ import annotations

import asyncio
import json
import logging
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from lib.cache import ResultCache, input_hash
from lib.db.embedded import SYSTEM_USER
from lib.models import AgentResult

BASE = {"agent_type": "meddpic", "prompt_sha256": "p" * 64, "model": "m", "schema_version": "1",
        "transcript_sha256": "t" * 64}


def _result(key: str, status: str = "completed", **kw: object) -> AgentResult:
    values: dict[str, object] = {"transcript_id": 1, "agent_type": "meddpic", "prompt_id": 1, "input_hash": key,
                                 "status": status, "data": {"x": 1}, "model": "m", "model_requested": "m",
                                 "cost_usd": "0.01"}
    return AgentResult.model_validate({**values, **kw})


def _same(a: AgentResult | None, b: AgentResult) -> bool:
    return a is not None and a.model_dump() == b.model_dump()


def test_key_is_stable_across_processes_and_sensitive_to_every_input() -> None:
    here = input_hash(**BASE)
    code = f"from lib.cache import input_hash; print(input_hash(**{BASE!r}))"
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert here == there
    for field in BASE:
        assert input_hash(**{**BASE, field: BASE[field] + "x"}) != here, field


def test_memory_then_disk_hits_and_failures_are_never_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("k", _result("k"))
    cache.put("f", _result("f", status="failed", data=None))
    assert cache.get("f") is None
    hit = cache.get("k")
    assert hit is not None and hit[1] == "memory" and hit[0].data == {"x": 1}
    cache.memory.clear()
    assert cache.get("k") is not None and cache.stats.disk_hits == 1
    assert cache.get("k") == (hit[0], "memory")  # the disk hit filled the memory tier
    cache.close()


def test_ttl_expiry_and_bounded_memory(tmp_path: Path) -> None:
    now = [0.0]
    cache = ResultCache(tmp_path, memory_items=2, ttl_seconds=10, timer=lambda: now[0])
    for key in "abc":
        cache.put(key, _result(key))
    assert len(cache.memory) == 2
    now[0] = 11
    assert "b" not in cache.memory and "c" not in cache.memory
    hit = cache.get("c")
    assert hit is not None and _same(hit[0], _result("c")) and hit[1] == "disk"
    cache.close()


def test_disk_tier_is_size_bounded(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, memory_items=0 + 1, disk_size_limit=200_000)
    most = 0
    for i in range(200):
        cache.put(f"k{i}", _result(f"k{i}", data={"blob": "x" * 5000, "i": i}))
        most = max(most, cache.disk.describe()["bytes"])
    info = cache.disk.describe()
    assert most <= 200_000  # after every write, not just the last
    # least recently used out first: what is left is the newest entries, and nothing but them
    kept = {key for key in (f"k{i}" for i in range(200)) if cache.disk.get(key) is not None}
    assert 0 < info["entries"] < 200 and kept == {f"k{i}" for i in range(200 - info["entries"], 200)}
    cache.close()


def test_two_processes_share_the_disk_tier(tmp_path: Path) -> None:
    code = ("import sys; from lib.cache import ResultCache; from tests.test_cache import _result;"
            "c = ResultCache(__import__('pathlib').Path(sys.argv[1])); c.put('shared', _result('shared')); c.close()")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=Path(__file__).parents[1])
    cache = ResultCache(tmp_path)
    hit = cache.get("shared")
    assert hit is not None and _same(hit[0], _result("shared")) and hit[1] == "disk"
    cache.close()


def test_corrupt_cache_file_is_a_miss_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "cache.db").write_bytes(b"this is not sqlite" * 100)
    cache = ResultCache(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert cache.get("k") is None
        cache.put("k", _result("k"))
        assert cache.get("k") is not None  # the memory tier still works
    assert len([r for r in caplog.records if "disk cache" in r.getMessage()]) == 1
    assert cache.stats.disk_errors == 1


def _degrades_on_a_read_only_dir(target: Path) -> None:
    cache = ResultCache(target / "nested")
    assert not cache.disk.describe().get("available")
    cache.put("k", _result("k"))
    hit = cache.get("k")
    assert hit is not None and _same(hit[0], _result("k")) and hit[1] == "memory"  # memory still serves it
    assert cache.stats.disk_errors >= 1


def _as_unprivileged_user(check: Callable[[Path], None], tmp_path: Path) -> None:
    """Run `check` in a forked child that has dropped root for the embedded server's system user:
    root ignores directory permissions, and this interpreter lives where that user cannot exec it."""
    user = pwd.getpwnam(SYSTEM_USER) if _has_user(SYSTEM_USER) else None
    if user is None:
        pytest.skip(f"no unprivileged user {SYSTEM_USER} to run as")
    home = Path(tempfile.mkdtemp(prefix="asmis-ro-"))  # tmp_path's parents are private to root
    try:
        os.chown(home, user.pw_uid, user.pw_gid)
        target = home / "ro"
        target.mkdir(mode=0o500)
        os.chown(target, user.pw_uid, user.pw_gid)
        ResultCache(tmp_path / "warm").disk.describe()  # import diskcache and sqlite3 before dropping root
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
                check(target)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, "the check failed as the unprivileged user (see stderr)"
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def test_read_only_cache_dir_degrades(tmp_path: Path, embedded_server: object) -> None:
    if os.geteuid() == 0:  # the session's embedded server has made the system user by now
        _as_unprivileged_user(_degrades_on_a_read_only_dir, tmp_path)
        return
    target = tmp_path / "ro"
    target.mkdir()
    target.chmod(0o500)
    try:
        _degrades_on_a_read_only_dir(target)
    finally:
        target.chmod(0o700)


async def test_single_flight_shares_one_computation(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    calls = 0

    async def compute() -> AgentResult:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return _result("k")

    outcomes = await asyncio.gather(*(cache.get_or_compute("k", compute) for _ in range(50)))
    assert calls == 1 and all(_same(r, _result("k")) for r, _ in outcomes)
    assert [tier for _, tier in outcomes].count(None) == 1
    cache.close()


async def test_single_flight_failure_reaches_every_waiter_and_is_not_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)

    async def boom() -> AgentResult:
        await asyncio.sleep(0.01)
        raise RuntimeError("llm down")

    outcomes = await asyncio.gather(*(cache.get_or_compute("k", boom) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert cache.get("k") is None
    cache.close()


def test_clear_by_agent(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("m", _result("m"))
    cache.put("s", _result("s", agent_type="stakeholder"))
    assert cache.clear("stakeholder") == 1
    assert cache.get("s") is None and cache.get("m") is not None
    assert json.loads(json.dumps(cache.stats.as_dict()))["writes"] == 2
    cache.close()


def test_disk_writes_go_in_batches_and_flush_makes_them_visible(tmp_path: Path) -> None:
    from lib.cache.store import FLUSH_ITEMS

    cache, other = ResultCache(tmp_path), ResultCache(tmp_path)
    cache.put("a", _result("a"))
    assert other.get("a") is None  # held: not on disk yet
    cache.memory.clear()
    assert cache.get("a") is not None and cache.stats.disk_hits == 1  # but served by its own disk tier
    cache.flush()
    hit = other.get("a")
    assert hit is not None and hit[1] == "disk"
    for i in range(FLUSH_ITEMS):
        cache.put(f"k{i}", _result(f"k{i}"))
    assert other.get("k0") is not None  # the FLUSH_ITEMS-th write sent them all
    cache.put("last", _result("last"))
    cache.close()  # closing flushes
    assert other.get("last") is not None
    other.close()
