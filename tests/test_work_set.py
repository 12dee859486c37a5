"""The work set (migrations/0015_work_set.sql, lib/db/work_set.py): equal to the truth computed the slow
way after every kind of write, read by claims and counts with the same answers, built in batches for an
existing database, checked and repaired."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import asyncpg
from typer.testing import CliRunner, Result

from lib.cli.main import app
from lib.db import claims as claims_sql
from lib.db import work_set
from lib.db.claims import ClaimRepository, WorkFilter
from lib.db.prompts import PromptRepository
from lib.db.results import ResultRepository
from lib.db.transcripts import TranscriptRepository
from lib.doctor.check import DoctorContext
from lib.doctor.database import check_database
from lib.intake.state import IntakeRepository
from lib.settings import Settings
from tests.test_db import result, transcript

runner = CliRunner()
AGENTS = ("meddpic", "stakeholder")


async def _prompts(pool: asyncpg.Pool) -> WorkFilter:
    prompts = PromptRepository(pool)
    m, _ = await prompts.activate("meddpic", "m prompt")
    s, _ = await prompts.activate("stakeholder", "s prompt")
    return WorkFilter({"meddpic": m.id, "stakeholder": s.id}, model="offline-test", schema_version="1")


async def _slow_backlog(pool: asyncpg.Pool, work: WorkFilter) -> tuple[int, int, int]:
    row = await pool.fetchrow(claims_sql._COUNT, *work.params())
    return int(row["transcripts"]), int(row["calls"]), int(row["chars"])


async def _assert_true(pool: asyncpg.Pool, work: WorkFilter, step: str) -> None:
    drift = await work_set.check(pool)
    assert drift.clean, f"after {step}: {drift}"
    fast = await ClaimRepository(pool).backlog(work)
    assert (fast.transcripts, fast.calls, fast.chars) == await _slow_backlog(pool, work), step


async def test_the_work_set_equals_the_truth_after_random_writes(pool: asyncpg.Pool) -> None:
    """A property over random sequences of every kind of write: after each, the work set is the truth
    and the count read through it equals the count walking the history."""
    work = await _prompts(pool)
    transcripts, results, intake = TranscriptRepository(pool), ResultRepository(pool), IntakeRepository(pool)
    prompts = PromptRepository(pool)
    counter = 0
    for seed in range(3):
        rng = random.Random(seed)
        for _ in range(40):
            counter += 1
            ids = [r["id"] for r in await pool.fetch("SELECT id FROM transcripts ORDER BY id")]
            kind = rng.choice(["store", "store", "complete", "complete", "fail_then_complete", "fail", "force",
                               "supersede", "delete", "move", "prompt", "restore"] if ids else ["store"])
            pick = rng.choice(ids) if ids else 0
            agent = rng.choice(AGENTS)
            hash_ = f"{counter:064x}"
            if kind == "store":
                new = transcript(f"Ana: call {counter}").model_copy(update={
                    "external_id": f"x{counter}",
                    "occurred_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(500))})
                await intake.store(new, "v1") if rng.random() < 0.5 else await transcripts.store(new)
            elif kind == "complete":
                await results.upsert_many([result(pick, agent_type=agent, input_hash=hash_,
                                                  prompt_id=work.prompts[agent])])
            elif kind == "fail_then_complete":  # the upsert turns a failed row into a completed one
                await results.upsert_many([result(pick, "failed", agent_type=agent, input_hash=hash_)])
                await results.upsert_many([result(pick, agent_type=agent, input_hash=hash_)])
            elif kind == "fail":
                await results.upsert_many([result(pick, "failed", agent_type=agent, input_hash=hash_)])
            elif kind == "force":  # a forced run's second completed result for a pair already done
                await results.upsert_many([result(pick, agent_type=agent, input_hash=hash_),
                                           result(pick, agent_type=agent, input_hash=f"f{counter:063x}")])
            elif kind == "supersede":  # content changed at its source: results move to superseded_results
                row = await pool.fetchrow("SELECT source, external_id FROM transcripts WHERE id = $1", pick)
                if row["external_id"] is not None:
                    changed = transcript(f"Ana: call {pick} retranscribed {counter}", source=row["source"])
                    await intake.store(changed.model_copy(update={"external_id": row["external_id"]}),
                                       f"v{counter}")
            elif kind == "delete":  # (a pulled call's intake item goes first: it may not lose its transcript)
                await pool.execute("DELETE FROM intake_items WHERE transcript_id = $1", pick)
                await pool.execute("DELETE FROM transcripts WHERE id = $1", pick)
            elif kind == "move" and len(ids) > 1:  # results moved to another transcript (migration 0007)
                await pool.execute("UPDATE agent_results SET transcript_id = $2 WHERE transcript_id = $1",
                                   pick, rng.choice([i for i in ids if i != pick]))
            elif kind == "prompt":  # a new active prompt changes nothing for a normal run
                await prompts.activate(agent, f"prompt {counter}")
            elif kind == "restore":  # a completed result deleted outright
                await pool.execute("DELETE FROM agent_results WHERE id = (SELECT min(id) FROM agent_results"
                                   " WHERE status = 'completed')")
            await _assert_true(pool, work, f"seed {seed}, {kind} on {pick}")
    assert await pool.fetchval("SELECT count(*) FROM work_set") > 0
    assert await pool.fetchval("SELECT count(*) FROM superseded_results") > 0


async def test_two_concurrent_runs_never_claim_a_pair_twice(pool: asyncpg.Pool) -> None:
    work = await _prompts(pool)
    repo, results = TranscriptRepository(pool), ResultRepository(pool)
    ids = [(await repo.add(transcript(f"Ana: call {i}")))[0] for i in range(40)]
    await results.upsert_many([result(i, agent_type="meddpic") for i in ids[::3]])  # some half done
    claimed: dict[str, list[tuple[int, str]]] = {"a": [], "b": []}

    async def run(owner: str) -> None:
        claims, after = ClaimRepository(pool), None
        while batch := await claims.claim(owner, work, limit=3, lease_seconds=60, after=after):
            claimed[owner] += [(c.transcript_id, a) for c in batch for a in c.agents]
            await results.upsert_many([result(c.transcript_id, agent_type=a, input_hash=f"{owner}{c.transcript_id:063x}")
                                       for c in batch for a in c.agents])
            after = batch[-1]

    await asyncio.gather(run("a"), run("b"))
    pairs = claimed["a"] + claimed["b"]
    assert len(pairs) == len(set(pairs))  # none twice
    assert len(pairs) == 2 * 40 - len(ids[::3])  # and every one that needed work
    assert claimed["a"] and claimed["b"]
    assert await pool.fetchval("SELECT count(*) FROM work_set") == 0
    assert (await ClaimRepository(pool).backlog(work)).calls == 0


async def test_an_existing_database_is_built_in_batches_and_runs_walk_the_history_meanwhile(
        pool: asyncpg.Pool) -> None:
    work = await _prompts(pool)
    repo, results = TranscriptRepository(pool), ResultRepository(pool)
    ids = [(await repo.add(transcript(f"Ana: call {i}")))[0] for i in range(25)]
    await results.upsert_many([result(i, agent_type="stakeholder") for i in ids[:10]])
    # As migration 0015 leaves a database that already held calls: an empty work set, a build to do.
    await pool.execute("DELETE FROM work_set")
    await pool.execute("UPDATE work_set_build SET next_id = 0, last_id = $1, complete = false", max(ids))
    claims = ClaimRepository(pool)
    assert (await claims.backlog(work)).calls == 40  # the history, walked: nothing is lost meanwhile
    async with pool.acquire() as conn:
        assert await work_set.build(conn, batch=ids[0] + 8, max_batches=1) == 1
        assert not await work_set.ready(conn)
        assert (await work_set.check(conn)).missing > 0
        done = await work_set.build(conn, batch=8)  # resumes where the first batch stopped
        assert done >= 2
        assert await work_set.ready(conn)
    assert (await work_set.check(pool)).clean
    assert (await ClaimRepository(pool).backlog(work)).calls == 40


async def _cli(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, list(args))  # the command runs its own event loop


async def test_db_check_reports_drift_and_repair_rebuilds(pool: asyncpg.Pool, settings: Settings) -> None:
    await _prompts(pool)
    repo = TranscriptRepository(pool)
    ids = [(await repo.add(transcript(f"Ana: call {i}")))[0] for i in range(3)]
    await ResultRepository(pool).upsert_many([result(ids[0])])
    clean = await _cli("db", "check")
    assert clean.exit_code == 0, clean.output
    assert "consistent" in clean.output
    await pool.execute("DELETE FROM work_set WHERE transcript_id = $1 AND agent_type = 'stakeholder'", ids[1])
    await pool.execute("INSERT INTO work_set VALUES ($1, 'meddpic')", ids[0])  # done, yet listed
    drifted = await _cli("db", "check")
    assert drifted.exit_code == 1
    assert "1 pair(s) missing" in drifted.output and "1 held needlessly" in drifted.output
    assert f"{ids[1]}/stakeholder" in drifted.output
    [doctor] = await check_database(DoctorContext(settings))
    assert doctor.status == "fail" and "work set differs" in doctor.detail and "db repair" in doctor.fix
    repaired = await _cli("db", "repair")
    assert repaired.exit_code == 0, repaired.output
    assert "repaired" in repaired.output
    assert (await _cli("db", "check")).exit_code == 0
    [doctor] = await check_database(DoctorContext(settings))
    assert doctor.status == "ok" and "work set consistent" in doctor.detail
