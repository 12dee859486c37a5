"""What a new user reads: `asmis results`, the backfill table, read-only commands on a machine with no
database, and the cache commands on a filled cache. Real database, the offline provider, no Prefect."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.db.embedded import EmbeddedPostgres
from lib.models import AGENT_TYPES
from lib.run.estimate import chunk_backlogs, chunks
from lib.run.pipeline import RunParams, plan_run
from lib.run.runtime import Runtime
from lib.settings import Settings, get_settings
from tests.helpers import seed, synthetic_transcript

runner = CliRunner()


async def _analysed(settings: Settings, n: int) -> list[int]:
    """n synthetic calls with both agents' results saved, through the real analyser (offline provider)."""
    rt = await Runtime.open(settings)
    try:
        ids = await seed(rt.pool, n)
        saved = []
        for transcript in await rt.transcripts.get_many(ids):
            for agent_type in AGENT_TYPES:
                prompt = await rt.prompts.active(agent_type)
                assert prompt is not None
                saved.append(await rt.analyser.analyse(agent_type, transcript, prompt))
        await rt.results.upsert_many(list(reversed(saved)))  # saved out of order on purpose
        return ids
    finally:
        await rt.close()


def test_results_list_is_labelled_titled_and_ordered(settings: Settings) -> None:
    ids = asyncio.run(_analysed(settings, 3))
    listed = runner.invoke(app, ["results"])
    assert listed.exit_code == 0, listed.output
    header, *rows = [line for line in listed.output.splitlines() if line.strip()]
    assert header.split() == ["transcript", "title", "agent", "status", "confidence", "cost", "$"]
    seen = [(int(m[1]), m[2]) for m in (re.search(r"#(\d+)\s+Call \d+\s+(\w+)", row) for row in rows) if m]
    assert seen == [(i, a) for i in ids for a in AGENT_TYPES]
    assert all(f"Call {i}" in listed.output for i in range(3))


def test_results_json_has_real_prompt_versions_and_no_copied_timestamps(settings: Settings) -> None:
    asyncio.run(_analysed(settings, 1))
    cells = [[c.strip() for c in line.split("│")] for line in runner.invoke(app, ["prompts", "list"]).output.splitlines()]
    versions = {row[2] for row in cells if len(row) > 2 and row[1] in AGENT_TYPES}
    assert len(versions) == 2
    rows = json.loads(runner.invoke(app, ["results", "--json"]).output)
    assert len(rows) == 2
    for row in rows:
        assert row["prompt_version"] in versions and row["prompt_version"]
        assert "started_at" not in row and "finished_at" not in row
        assert row["transcript_title"] == "Call 0"
    assert {row["id"] for row in rows} != {row["transcript_id"] for row in rows}


def test_results_of_one_transcript_show_its_scorecard(settings: Settings) -> None:
    [tid] = asyncio.run(_analysed(settings, 1))
    shown = runner.invoke(app, ["results", str(tid)])
    assert shown.exit_code == 0, shown.output
    assert f"#{tid} Call 0" in shown.output and "MEDDPICC: Call 0" in shown.output
    assert "Stakeholders" in shown.output and "economic buyer" in shown.output
    missing = runner.invoke(app, ["results", str(tid + 1000)])
    assert missing.exit_code == 1 and f"no transcript {tid + 1000}" in missing.output
    assert runner.invoke(app, ["results", str(tid + 1000), "--json"]).exit_code == 1


@pytest.fixture
def no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Embedded defaults on a data dir that has never been used."""
    monkeypatch.delenv("ASMIS_DATABASE_URL", raising=False)
    monkeypatch.setenv("ASMIS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.mark.parametrize("command", [["results"], ["results", "1", "--json"], ["prompts", "list"]])
def test_read_only_commands_never_make_a_database(no_database: Path, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert "no database yet" in result.output and "asmis db start" in result.output
    server = EmbeddedPostgres(no_database)
    assert not server.exists() and not server.layout.root.exists()


def test_cache_stats_without_a_cache_does_not_make_one(no_database: Path) -> None:
    result = runner.invoke(app, ["cache", "stats"])
    assert result.exit_code == 1 and "no cache yet" in result.output
    assert not (no_database.parent / "cache").exists()


def _stat(output: str, name: str) -> str:
    return next(line.split()[1] for line in output.splitlines() if line.split()[:1] == [name])


def test_cache_stats_counts_a_filled_cache_and_clear_empties_it(settings: Settings) -> None:
    asyncio.run(_analysed(settings, 2))
    stats = runner.invoke(app, ["cache", "stats"])
    assert stats.exit_code == 0, stats.output
    assert _stat(stats.output, "entries") == "4"
    cleared = runner.invoke(app, ["cache", "clear", "--agent", "meddpic"])
    assert cleared.exit_code == 0 and "removed 2 " in cleared.output
    assert _stat(runner.invoke(app, ["cache", "stats"]).output, "entries") == "2"
    assert "removed 2 " in runner.invoke(app, ["cache", "clear"]).output
    assert _stat(runner.invoke(app, ["cache", "stats"]).output, "entries") == "0"


async def _seed_on(settings: Settings, days: list[date]) -> None:
    rt = await Runtime.open(settings)
    try:
        await seed(rt.pool, 0)
        for i, day in enumerate(days):
            await rt.transcripts.add(synthetic_transcript(i, when=datetime(day.year, day.month, day.day, 12, tzinfo=UTC)))
    finally:
        await rt.close()


def test_backfill_dry_run_folds_empty_chunks_and_ends_with_totals(settings: Settings) -> None:
    asyncio.run(_seed_on(settings, [date(2020, 3, 5), date(2020, 3, 6), date(2020, 9, 1)]))
    result = runner.invoke(app, ["backfill", "--since", "2020-01-01", "--until", "2021-01-01", "--chunk-days", "30",
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if re.search(r"\d{4}-\d\d-\d\d to \d{4}", line)]
    ranges = [re.findall(r"\d{4}-\d\d-\d\d", row) for row in rows]
    # 13 chunks of 30 days; work in chunk 3 (2020-03-01..30) and chunk 9 (2020-08-28..09-26) only.
    assert ranges == [["2020-01-01", "2020-02-29"], ["2020-03-01", "2020-03-30"], ["2020-03-31", "2020-08-27"],
                      ["2020-08-28", "2020-09-26"], ["2020-09-27", "2020-12-31"]]
    cells = [row.split()[3:] for row in rows]  # after "YYYY-MM-DD to YYYY-MM-DD"
    assert [c[:3] for c in cells] == [["2", "0", "0"], ["1", "2", "4"], ["5", "0", "0"], ["1", "1", "2"],
                                      ["4", "0", "0"]]  # chunks, transcripts, agent calls per row
    total = next(line for line in result.output.splitlines() if line.split()[:1] == ["total"])
    assert total.split()[1:4] == ["13", "3", "6"]
    tokens_in = [int(c[3].split("/")[0]) for c in cells]
    assert int(total.split()[4].split("/")[0]) == sum(tokens_in) > 0


def test_chunk_backlogs_match_one_count_per_chunk(settings: Settings) -> None:
    days = [date(2021, 1, 1) + timedelta(days=d) for d in (0, 3, 3, 17, 40, 41)]

    async def check() -> None:
        await _seed_on(settings, days)
        rt = await Runtime.open(settings)
        try:
            plan = await plan_run(rt, RunParams(), owner="test")
            windows = chunks(date(2020, 12, 1), date(2021, 3, 1), 7)
            one_query = await chunk_backlogs(rt, plan, windows)
            each = [await rt.claims.backlog(replace(plan.work(), since=s, until=u)) for s, u in windows]
            assert one_query == each
            assert sum(b.transcripts for b in one_query) == len(days)
            assert sum(b.calls for b in one_query) == 2 * len(days)
            expected = [sum(s <= datetime(d.year, d.month, d.day, 12, tzinfo=UTC) < u for d in days) for s, u in windows]
            assert [b.transcripts for b in one_query] == expected and expected.count(0) > len(windows) // 2
        finally:
            await rt.close()

    asyncio.run(check())


def test_long_titles_of_one_deal_stay_told_apart() -> None:
    from lib.views.results import TITLE_WIDTH, short_title

    titles = ["Acme Freight x Relay - technical demo and security", "Acme Freight x Relay - pricing review with CFO"]
    cut = [short_title(t) for t in titles]
    assert all(len(c) <= TITLE_WIDTH and "…" in c for c in cut) and cut[0] != cut[1]
    assert cut[0].startswith("Acme Freigh") and cut[1].endswith("review with CFO"[-(TITLE_WIDTH // 2):])
    assert short_title("Short title") == "Short title"
