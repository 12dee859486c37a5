"""Cost of "what is new?" against the size of the history: the work set (issue 35) against the code
before it (claims walking every stored call), in one run, on one database.

    python -m benchmarks.scale                      # 10k and 100k stored, analysed calls
    python -m benchmarks.scale --sizes 10000,100000,1000000
    python -m benchmarks.scale --baseline <git ref> # the old side (default: the commit before the work set)

On a fresh embedded PostgreSQL and local Prefect server (offline LLM provider): one real call is ingested
and analysed (for the active prompts, the model and schema a result records), then, per size, synthetic
calls with both results completed are inserted straight into `transcripts` and `agent_results`
(INSERT ... SELECT over generate_series; triggers off for the load, as the rows are already analysed:
the work set stays empty, and `asmis db check` afterwards confirms it). At each size, for the old side
(`asmis` from a `git archive` of --baseline, on the same database) and the new one, alternately:
  * `asmis run` with nothing to do;
  * `asmis run` with one NEW call (a fresh transcript stored just before each run, occurred now; the
    run's own `claimed` is checked to be 1), wall and the flow's `seconds`;
  * the count query and the claim query (in-process timers, median; the claim rolled back);
  * with 10k new calls waiting: the count and the claim rate (claims of 50 in keyset order, rolled back;
    the old side stops after 20 s and its rate is over what it claimed).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from lib.db import claims as claims_sql
from lib.db.claims import WorkFilter
from lib.db.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]
ASMIS = str(Path(sys.executable).parent / "asmis")
SIDES = ("old", "new")
WAITING = 10_000
CLAIM_LIMIT = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def baseline_ref() -> str:
    """The commit before the work set's migration was added."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "--", "migrations/*_work_set.sql"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    if not added:
        raise SystemExit("no commit adds migrations/*_work_set.sql: pass --baseline REF")
    return added[-1] + "^"


def baseline_tree(ref: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


class Sides:
    def __init__(self, env: dict[str, str], old_tree: Path) -> None:
        self.env = env
        self.old_tree = old_tree

    def command(self, side: str, *args: str) -> subprocess.CompletedProcess[str]:
        if side == "new":
            return subprocess.run([ASMIS, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, check=False)
        env = {**self.env, "PYTHONPATH": str(self.old_tree)}
        return subprocess.run([sys.executable, "-c", "import sys; from lib.cli.main import main; sys.argv[0] = 'asmis';"
                               " main()", *args], env=env, cwd=self.old_tree, capture_output=True, text=True,
                              check=False)

    def timed(self, side: str, *args: str) -> tuple[float, str]:
        started = time.perf_counter()
        result = self.command(side, *args)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"{side}: asmis {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        return seconds, result.stdout


def metric(output: str, name: str) -> float:
    match = re.search(rf"{name}\s*[│|]\s*([0-9.]+)", output)
    if not match:
        raise SystemExit(f"no {name!r} in the run's output:\n{output[-2000:]}")
    return float(match.group(1))


async def analysed_shape(dsn: str) -> tuple[WorkFilter, dict[str, object]]:
    """The active prompts, model and schema the real run recorded: the synthetic rows copy them."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT agent_type, prompt_id, model, model_requested, schema_version"
                                " FROM agent_results WHERE status = 'completed' ORDER BY id")
    finally:
        await conn.close()
    prompts = {r["agent_type"]: int(r["prompt_id"]) for r in rows}
    first = rows[0]
    work = WorkFilter(prompts, model=first["model_requested"], schema_version=first["schema_version"])
    return work, {"model": first["model"], "model_requested": first["model_requested"],
                  "schema_version": first["schema_version"]}


_SEED_TRANSCRIPTS = """
INSERT INTO transcripts (source, external_id, format, occurred_at, content, content_sha256, turns, speakers)
SELECT 'synthetic', 's' || i, 'txt', now() - interval '1 day' - i * interval '30 seconds', body,
       encode(sha256(convert_to(body, 'UTF8')), 'hex'), '[]'::jsonb, '{Ana}'
FROM generate_series($1::bigint, $2::bigint) AS i,
     LATERAL (SELECT 'Ana: synthetic stored call ' || i || ' about onboarding carriers and a pilot.' AS body) b
"""
_SEED_RESULTS = """
INSERT INTO agent_results (transcript_id, agent_type, prompt_id, input_hash, status, data, confidence, model,
                           model_requested, schema_version)
SELECT t.id, a.agent_type, a.prompt_id, encode(sha256(convert_to(t.id || a.agent_type, 'UTF8')), 'hex'), 'completed',
       '{}'::jsonb, 0.9, $2, $3, $4
FROM transcripts t CROSS JOIN unnest($5::text[], $6::bigint[]) AS a(agent_type, prompt_id)
WHERE t.id > $1
"""


async def seed(dsn: str, start: int, end: int, work: WorkFilter, shape: dict[str, object]) -> float:
    """Stored calls start..end-1, both results completed; returns seconds taken."""
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM transcripts")
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # analysed rows: no pairs to keep
            await conn.execute(_SEED_TRANSCRIPTS, start, end - 1)
            await conn.execute(_SEED_RESULTS, last, shape["model"], shape["model_requested"], shape["schema_version"],
                               list(work.prompts), list(work.prompts.values()))
        await conn.execute("VACUUM ANALYZE transcripts")
        await conn.execute("VACUUM ANALYZE agent_results")
        await conn.execute("VACUUM ANALYZE work_set")
    finally:
        await conn.close()
    return time.perf_counter() - began


_counter = iter(range(10**9))


async def new_calls(dsn: str, n: int) -> None:
    """n NEW calls, each with content never stored before, occurred now (as a pull stores them)."""
    tag = f"{os.getpid()}-{time.time_ns()}-{next(_counter)}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO transcripts (source, external_id, format, occurred_at, content, content_sha256, turns, speakers)"
            " SELECT 'fresh', $1 || '-' || i, 'txt', now(), body, encode(sha256(convert_to(body, 'UTF8')), 'hex'),"
            " '[]'::jsonb, '{Ana}' FROM generate_series(1, $2::int) AS i,"
            " LATERAL (SELECT 'Ana: a new call ' || $1 || '-' || i || ', the budget is $250,000 and I sign.' AS body) b",
            tag, n)
    finally:
        await conn.close()


async def drop_fresh(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM transcripts WHERE source = 'fresh' AND NOT EXISTS"
                           " (SELECT 1 FROM agent_results r WHERE r.transcript_id = transcripts.id)")
        await conn.execute("VACUUM ANALYZE work_set")
        await conn.execute("VACUUM ANALYZE transcripts")
    finally:
        await conn.close()


async def query_times(dsn: str, work: WorkFilter, repeat: int) -> dict[str, dict[str, float]]:
    """Median seconds of the count and of one claim (rolled back), per side."""
    sql = {"old": (claims_sql._COUNT, claims_sql._CLAIM), "new": (claims_sql._COUNT_WS, claims_sql._CLAIM_WS)}
    out: dict[str, dict[str, list[float]]] = {s: {"count": [], "claim": []} for s in SIDES}
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(repeat):
            for side in SIDES:
                count, claim = sql[side]
                began = time.perf_counter()
                await conn.fetchrow(count, *work.params())
                out[side]["count"].append(time.perf_counter() - began)
                tx = conn.transaction()
                await tx.start()
                began = time.perf_counter()
                await conn.fetch(claim, *work.params(), "bench", 60.0, None, None, CLAIM_LIMIT)
                out[side]["claim"].append(time.perf_counter() - began)
                await tx.rollback()
    finally:
        await conn.close()
    return {s: {k: statistics.median(v) for k, v in d.items()} for s, d in out.items()}


async def claim_rate(dsn: str, work: WorkFilter, side: str, budget_s: float) -> tuple[float, int]:
    """Transcripts claimed per second, claiming the waiting work in keyset order (rolled back)."""
    claim = claims_sql._CLAIM_WS if side == "new" else claims_sql._CLAIM
    conn = await asyncpg.connect(dsn)
    claimed = 0
    try:
        tx = conn.transaction()
        await tx.start()
        cursor: list[object] = [None, None]
        began = time.perf_counter()
        while time.perf_counter() - began < budget_s:
            rows = await conn.fetch(claim, *work.params(), "bench", 60.0, *cursor, CLAIM_LIMIT)
            if not rows:
                break
            claimed += len(rows)
            last = max(rows, key=lambda r: (r["occurred_at"], r["id"]))
            cursor = [last["occurred_at"], last["id"]]
        seconds = time.perf_counter() - began
        await tx.rollback()
    finally:
        await conn.close()
    return claimed / seconds, claimed


def median_runs(sides: Sides, dsn: str, repeat: int, new_call: bool) -> dict[str, dict[str, float]]:
    walls: dict[str, list[float]] = {s: [] for s in SIDES}
    flows: dict[str, list[float]] = {s: [] for s in SIDES}
    for k in range(repeat):
        for side in SIDES if k % 2 == 0 else tuple(reversed(SIDES)):
            if new_call:
                asyncio.run(new_calls(dsn, 1))
            wall, out = sides.timed(side, "run")
            walls[side].append(wall)
            if new_call:
                if metric(out, "claimed") != 1:
                    raise SystemExit(f"{side}: the run claimed {metric(out, 'claimed')} calls, not the one new call")
                flows[side].append(metric(out, "seconds"))
            elif "nothing to do" not in out:
                raise SystemExit(f"{side}: a run with nothing to do did something:\n{out[-2000:]}")
    return {s: {"wall": statistics.median(walls[s]), **({"flow": statistics.median(flows[s])} if flows[s] else {})}
            for s in SIDES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="stored, analysed calls (comma-separated, rising)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side per measure (median shown)")
    parser.add_argument("--baseline", default=None, help="git ref of the old side (default: before the work set)")
    parser.add_argument("--old-claim-budget", type=float, default=20.0, help="seconds the old side may claim for")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ref = args.baseline or baseline_ref()

    root = Path(tempfile.mkdtemp(prefix="asmis-bench-scale-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k not in ("ASMIS_DATABASE_URL", "ANTHROPIC_API_KEY", "PYTHONPATH")}
    env.update(ASMIS_DATA_DIR=str(root / "data"), ASMIS_CACHE_DIR=str(root / "cache"), ASMIS_LLM_PROVIDER="offline",
               ASMIS_PREFECT_PORT=str(_free_port()), ASMIS_PREFECT_LOCAL_SERVER="true",
               PREFECT_HOME=str(root / "prefect-home"), PYTHONPATH=str(ROOT))
    sides = Sides(env, baseline_tree(ref, root / "baseline"))
    table: list[tuple[int, dict[str, object]]] = []
    try:
        sides.timed("new", "ingest", str(ROOT / "examples" / "acme-freight-2-technical-demo.txt"))
        sides.timed("new", "server", "start")
        sides.timed("new", "run")
        dsn = EmbeddedPostgres(root / "data").dsn()
        work, shape = asyncio.run(analysed_shape(dsn))
        stored = 1
        for size in sizes:
            seeded = asyncio.run(seed(dsn, stored, size, work, shape))
            stored = size
            check, _ = sides.timed("new", "db", "check")
            print(f"{size:>9,} stored calls: seeded in {seeded:.0f} s; `asmis db check` {check:.2f} s (consistent)",
                  flush=True)
            row: dict[str, object] = {}
            row["noop"] = median_runs(sides, dsn, args.repeat, new_call=False)
            row["one"] = median_runs(sides, dsn, args.repeat, new_call=True)
            row["queries"] = asyncio.run(query_times(dsn, work, 5))
            asyncio.run(new_calls(dsn, WAITING))
            asyncio.run(_analyze(dsn))
            row["waiting_queries"] = asyncio.run(query_times(dsn, work, 3))
            row["rate"] = {s: asyncio.run(claim_rate(dsn, work, s, args.old_claim_budget if s == "old" else 600.0))
                           for s in SIDES}
            asyncio.run(drop_fresh(dsn))
            table.append((size, row))
            report(table, ref)
    finally:
        subprocess.run([ASMIS, "server", "stop"], env=env, cwd=ROOT, capture_output=True, check=False)
        subprocess.run([ASMIS, "db", "stop"], env=env, cwd=ROOT, capture_output=True, check=False)
        EmbeddedPostgres(root / "data").destroy()
        shutil.rmtree(root, ignore_errors=True)


async def _analyze(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE transcripts")
        await conn.execute("ANALYZE work_set")
    finally:
        await conn.close()


def report(table: list[tuple[int, dict[str, object]]], ref: str) -> None:
    """One line per measure: old and new at each size, and each side's growth from the first size."""
    print(f"\nold = {ref} (claims walk the history), new = this checkout (the work set); median of runs;"
          f" load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    measures = [
        ("asmis run, nothing to do (s)", lambda r, s: r["noop"][s]["wall"]),
        ("asmis run, one new call (s)", lambda r, s: r["one"][s]["wall"]),
        ("  the flow's own seconds", lambda r, s: r["one"][s]["flow"]),
        ("count query (ms)", lambda r, s: 1000 * r["queries"][s]["count"]),
        ("claim query (ms)", lambda r, s: 1000 * r["queries"][s]["claim"]),
        ("10k waiting: count query (ms)", lambda r, s: 1000 * r["waiting_queries"][s]["count"]),
        ("10k waiting: claim query (ms)", lambda r, s: 1000 * r["waiting_queries"][s]["claim"]),
        ("10k waiting: claim rate (calls/s)", lambda r, s: r["rate"][s][0]),
    ]
    sizes = [f"{n:,}" for n, _ in table]
    head = " | ".join(f"{side} {size}" for size in sizes for side in SIDES)
    print(f"| measure | {head} | old {sizes[-1]}/{sizes[0]} | new {sizes[-1]}/{sizes[0]} |")
    print("|---" * (3 + 2 * len(sizes)) + "|")
    for label, get in measures:
        cells = [get(r, s) for _, r in table for s in SIDES]
        first, last = table[0][1], table[-1][1]
        growth = [get(last, s) / get(first, s) for s in SIDES]
        print(f"| {label} | " + " | ".join(f"{c:.3g}" for c in cells) + " | "
              + " | ".join(f"{g:.2f}x" for g in growth) + " |")
    for n, r in table:
        claimed = r["rate"]["old"][1]  # type: ignore[index]
        if claimed < WAITING:
            print(f"  at {n:,}: the old side claimed {claimed:,} of {WAITING:,} waiting calls within its budget")
    print(flush=True)


if __name__ == "__main__":
    main()
