"""The HTTP API through a real uvicorn server (`asmis api serve` in its own process) on a real PostgreSQL:
every endpoint, every error, keyset pages while calls are added, keys never logged."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.db.api_keys import ApiKeyRepository
from lib.db.connect import create_pool
from lib.db.transcripts import TranscriptRepository
from lib.deals.refresh import refresh_deals
from lib.settings import Settings
from tests.api_server import ApiServer, api_server
from tests.conftest import TEMPLATE, with_database
from tests.helpers import synthetic_transcript
from tests.test_deals import DEAL, analysed_deal
from tests.test_eval import answering  # noqa: F401 - the fake Messages API answering by prompt

PROBLEM = "application/problem+json"
runner = CliRunner()


class Seeded:
    def __init__(self, url: str, settings: Settings, pool: asyncpg.Pool, ids: dict[str, int],
                 read_key: str, write_key: str) -> None:
        self.url, self.settings, self.pool, self.ids = url, settings, pool, ids
        self.read_key, self.write_key = read_key, write_key


@pytest.fixture(scope="module")
async def seeded(server_dsn: str, template_dsn: str, tmp_path_factory: pytest.TempPathFactory
                 ) -> AsyncIterator[Seeded]:
    """A database of its own for the module: the three-call deal with results, 60 more calls, two keys."""
    name = f"asmis_api_{os.getpid()}"
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    await conn.close()
    url = with_database(server_dsn, name)
    home = tmp_path_factory.mktemp("api-db")
    settings = Settings(database_url=url, data_dir=home / "data", cache_dir=home / "cache")
    pool = await create_pool(url, settings)
    ids = await analysed_deal(pool, settings)
    await refresh_deals(pool, [DEAL], settings)
    repo = TranscriptRepository(pool)
    for i in range(60):
        await repo.add(synthetic_transcript(1000 + i))
    keys = ApiKeyRepository(pool)
    read_key, write_key = await keys.create("dashboard", "read"), await keys.create("ops", "write")
    yield Seeded(url, settings, pool, ids, read_key, write_key)
    await pool.close()
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.close()


@pytest.fixture(scope="module")
def server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with api_server(seeded.url, tmp_path_factory.mktemp("api")) as running:
        yield running


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert "Traceback" not in response.text and "SELECT" not in response.text
    return body  # type: ignore[no-any-return]


def test_health_and_ready_need_no_key(server: ApiServer) -> None:
    with server.client() as c:
        assert c.get("/v1/health").json() == {"status": "ok"}
        ready = c.get("/v1/ready")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert c.get("/v1/openapi.json").json()["info"]["title"] == "ASMIS API"
        assert c.get("/docs").status_code == 200


def test_a_missing_wrong_or_malformed_key_is_401_and_a_read_key_cannot_write(server: ApiServer,
                                                                            seeded: Seeded) -> None:
    with server.client() as c:
        for headers in ({}, {"Authorization": "Bearer asmis_nope"}, {"Authorization": "Basic abc"},
                        {"Authorization": f"Bearer {seeded.read_key}x"}):
            body = problem(c.get("/v1/calls", headers=headers), 401)
            assert "key" in body["detail"]
        assert c.get("/v1/calls", headers={}).headers["www-authenticate"] == "Bearer"
    with server.client(seeded.read_key) as c:
        body = problem(c.post("/v1/prompts", json={"agent_type": "meddpic", "content": "x"}), 403)
        assert "dashboard" in body["detail"] and "write" in body["detail"]
        problem(c.post("/v1/runs", json={}), 403)


def test_calls_page_newest_first_each_call_once_while_calls_are_added(server: ApiServer, seeded: Seeded) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    added = 0
    with server.client(seeded.read_key) as c:
        while True:
            page = c.get("/v1/calls", params={"limit": 7, **({"cursor": cursor} if cursor else {})}).json()
            seen += page["items"]
            if added < 3:  # a newer call arrives between pages: the pages already walked are not shifted
                _add_call(seeded, 5000 + added, datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=added))
                added += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
    ids = [item["id"] for item in seen]
    assert len(ids) == len(set(ids)) == 63  # the 3 calls of the deal and 60 more; the 3 added later are newer
    keys = [(item["occurred_at"], item["id"]) for item in seen]
    assert keys == sorted(keys, reverse=True)
    first = seen[0]
    assert set(first) >= {"id", "title", "occurred_at", "deal_id", "source", "format", "speakers", "turn_count",
                          "analyses"}
    deal_calls = [item for item in seen if item["deal_id"] == DEAL]
    assert len(deal_calls) == 3 and all(item["analyses"] == {"meddpic": "completed", "stakeholder": "completed"}
                                        for item in deal_calls)
    assert all(item["analyses"] == {"meddpic": "pending", "stakeholder": "pending"}
               for item in seen if item["deal_id"] is None)


def _add_call(seeded: Seeded, i: int, when: datetime) -> None:
    _run_in_thread(lambda: _store(seeded, synthetic_transcript(i, when=when)))


def _run_in_thread(make: Any) -> None:
    import asyncio
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_calls_filter_by_deal_and_dates(server: ApiServer, seeded: Seeded) -> None:
    with server.client(seeded.read_key) as c:
        deal = c.get("/v1/calls", params={"deal_id": DEAL}).json()
        assert sorted(i["id"] for i in deal["items"]) == sorted(seeded.ids.values())
        assert deal["next_cursor"] is None
        window = c.get("/v1/calls", params={"since": "2027-10-01T00:00:00Z", "until": "2027-10-10"}).json()["items"]
        assert window and all("2027-10-01" <= i["occurred_at"][:10] < "2027-10-10" for i in window)


def test_one_call_with_its_turns_and_its_results(server: ApiServer, seeded: Seeded) -> None:
    call_id = seeded.ids["02-demo.txt"]
    with server.client(seeded.read_key) as c:
        call = c.get(f"/v1/calls/{call_id}").json()
        assert call["id"] == call_id and call["turn_count"] == len(call["turns"]) > 0
        assert {t["speaker"] for t in call["turns"]} == set(call["speakers"])
        assert isinstance(call["metadata"], dict)
        results = c.get(f"/v1/calls/{call_id}/results").json()["items"]
    assert sorted(r["agent_type"] for r in results) == ["meddpic", "stakeholder"]
    for r in results:
        assert r["status"] == "completed" and r["confidence_score"] == 0.8 and r["data"]
        assert set(r["metadata"]) >= {"model", "prompt_version", "attempts", "cost_usd", "errors", "warnings"}
        assert r["metadata"]["prompt_version"] and r["timestamp"]


def test_unknown_ids_are_404_naming_them_and_bad_parameters_422_naming_them(server: ApiServer,
                                                                          seeded: Seeded) -> None:
    with server.client(seeded.read_key) as c:
        assert "999999" in problem(c.get("/v1/calls/999999"), 404)["detail"]
        assert "999999" in problem(c.get("/v1/calls/999999/results"), 404)["detail"]
        assert "NOPE-1" in problem(c.get("/v1/deals/NOPE-1"), 404)["detail"]
        assert "424242" in problem(c.get("/v1/prompts/424242"), 404)["detail"]
        problem(c.get("/v1/runs/00000000-0000-0000-0000-000000000000"), 404)
        for path, params, named in [
            ("/v1/calls", {"limit": 0}, "limit"), ("/v1/calls", {"limit": 201}, "limit"),
            ("/v1/calls", {"limit": "ten"}, "limit"), ("/v1/calls", {"since": "yesterday"}, "since"),
            ("/v1/calls", {"cursor": "not-a-cursor"}, "cursor"), ("/v1/calls", {"deal_id": "a\x00b"}, "deal_id"),
            ("/v1/calls/0", {}, "call_id"), ("/v1/calls/abc", {}, "call_id"),
            ("/v1/calls/99999999999999999999", {}, "call_id"), ("/v1/prompts", {"agent_type": "x"}, "agent_type"),
            ("/v1/deals", {"cursor": "eyJ4IjoxfQ"}, "cursor"), ("/v1/runs/nope", {}, "run_id"),
        ]:
            body = problem(c.get(path, params=params), 422)
            assert named in body["detail"], (path, params, body)


def test_deals_are_the_cli_roll_up(server: ApiServer, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_DATABASE_URL", seeded.url)
    get_settings.cache_clear()
    try:
        cli = runner.invoke(app, ["deals", DEAL, "--json"])
    finally:
        get_settings.cache_clear()
    assert cli.exit_code == 0, cli.output
    with server.client(seeded.read_key) as c:
        assert c.get(f"/v1/deals/{DEAL}").json() == json.loads(cli.output)
        board = c.get("/v1/deals").json()
        assert [d["deal_id"] for d in board["items"]] == [DEAL] and board["next_cursor"] is None
        assert board["items"][0]["calls"] == 3
        assert c.get("/v1/deals", params={"q": "zzz-nobody"}).json()["items"] == []


def test_prompts_stored_once_by_content_and_activated(server: ApiServer, seeded: Seeded) -> None:
    content = "You are a careful analyst. Version from the API.\n"
    with server.client(seeded.write_key) as c:
        listed = c.get("/v1/prompts", params={"agent_type": "meddpic"}).json()["items"]
        assert listed and all(p["agent_type"] == "meddpic" for p in listed)
        first = c.post("/v1/prompts", json={"agent_type": "meddpic", "content": content})
        assert first.status_code == 201 and not first.json()["is_active"]
        again = c.post("/v1/prompts", json={"agent_type": "meddpic", "content": content})
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        assert c.get(f"/v1/prompts/{first.json()['id']}").json()["content"] == content
        assert "agent_type" in problem(c.post("/v1/prompts", json={"agent_type": "bant", "content": "x"}), 422)["detail"]
        assert "content" in problem(c.post("/v1/prompts", json={"agent_type": "meddpic", "content": " "}), 422)["detail"]
        problem(c.post("/v1/prompts", content=b"{not json", headers={"content-type": "application/json"}), 422)
        activated = c.post(f"/v1/prompts/{first.json()['id']}/activate")
        assert activated.status_code == 200 and activated.json()["changed"] is True
        assert activated.json()["prompt"]["is_active"] is True
        before = next(p for p in listed if p["is_active"])
        back = c.post(f"/v1/prompts/{before['id']}/activate").json()  # put the file's version back
        assert back["prompt"]["id"] == before["id"] and back["changed"] is True


def test_a_body_over_one_megabyte_is_413(server: ApiServer, seeded: Seeded) -> None:
    big = json.dumps({"agent_type": "meddpic", "content": "x" * (1024 * 1024 + 10)})
    with server.client(seeded.write_key) as c:
        problem(c.post("/v1/prompts", content=big, headers={"content-type": "application/json"}), 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(12):
                yield b"x" * (100 * 1024)

        problem(c.post("/v1/prompts", content=chunks(), headers={"content-type": "application/json"}), 413)


def test_a_revoked_key_is_refused_and_the_cli_lists_keys_without_them(server: ApiServer, seeded: Seeded,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_DATABASE_URL", seeded.url)
    get_settings.cache_clear()
    try:
        made = runner.invoke(app, ["api", "keys", "create", "temp-bot", "--scope", "write"])
        assert made.exit_code == 0, made.output
        key = made.output.strip().splitlines()[-1]
        assert re.fullmatch(r"asmis_[A-Za-z0-9_-]{40,}", key)
        with server.client(key) as c:
            assert c.get("/v1/calls", params={"limit": 1}).status_code == 200
            listed = runner.invoke(app, ["api", "keys", "list"])
            assert "temp-bot" in listed.output and "write" in listed.output and key not in listed.output
            assert runner.invoke(app, ["api", "keys", "revoke", "temp-bot"]).exit_code == 0
            problem(c.get("/v1/calls", params={"limit": 1}), 401)
        again = runner.invoke(app, ["api", "keys", "revoke", "temp-bot"])
        assert again.exit_code == 1 and "temp-bot" in again.output
        assert runner.invoke(app, ["api", "keys", "create", "x", "--scope", "admin"]).exit_code == 2
    finally:
        get_settings.cache_clear()


def test_a_run_started_through_the_api_analyses_the_call(server: ApiServer, seeded: Seeded) -> None:
    target = synthetic_transcript(7000)
    _run_in_thread(lambda: _store(seeded, target))
    with server.client(seeded.write_key) as c:
        call_id = next(i["id"] for i in c.get("/v1/calls", params={"limit": 200}).json()["items"]
                       if i["title"] == target.title)
        problem(c.post("/v1/runs", json={"transcript_ids": [call_id, 888888]}), 404)
        problem(c.post("/v1/runs", json={"agent": "bant"}), 422)
        started = c.post("/v1/runs", json={"transcript_ids": [call_id]})
        assert started.status_code == 202, started.text
        run = started.json()
        assert run["state"] in ("scheduled", "running") and run["params"]["transcript_ids"] == [call_id]
        deadline = time.monotonic() + 240
        while run["state"] in ("scheduled", "running"):
            assert time.monotonic() < deadline, f"run still {run['state']}: {server.log()[-2000:]}"
            time.sleep(0.5)
            run = c.get(f"/v1/runs/{run['run_id']}").json()
        assert run["state"] == "completed", run
        metrics = {row["metric"]: row["value"] for row in run["summary"]}
        assert metrics["completed"] == "2" and run["where"] == "api_process" and run["flow_run_id"]
        analyses = c.get(f"/v1/calls/{call_id}").json()["analyses"]
    assert analyses == {"meddpic": "completed", "stakeholder": "completed"}


async def _store(seeded: Seeded, transcript: Any) -> None:
    pool = await create_pool(seeded.url, seeded.settings)
    try:
        await TranscriptRepository(pool).add(transcript)
    finally:
        await pool.close()


def test_no_key_and_no_traceback_in_the_server_log(server: ApiServer, seeded: Seeded) -> None:
    with server.client(seeded.read_key) as c:
        c.get("/v1/calls/1")
    log = server.log()
    assert log, "the server logged nothing"
    assert seeded.read_key not in log and seeded.write_key not in log and "asmis_" not in log
    assert "Traceback" not in log


def test_the_database_stopped_mid_test_is_503_then_200_without_a_restart(tmp_path: Path,
                                                                        server_dsn: str) -> None:
    from lib.db.embedded import EmbeddedPostgres

    if os.environ.get("ASMIS_TEST_DATABASE_URL"):
        pytest.skip("needs an embedded server of its own to stop")
    db = EmbeddedPostgres(tmp_path / "own", unsafe_fast=True)
    dsn = db.start()
    try:
        _run_in_thread(lambda: _make_key(dsn, tmp_path))
        key = (tmp_path / "key").read_text()
        with api_server(dsn, tmp_path / "home") as running, running.client(key) as c:
            assert c.get("/v1/calls").status_code == 200
            db.stop()
            for path in ("/v1/calls", "/v1/ready"):
                down = c.get(path)
                body = problem(down, 503)
                assert down.headers["retry-after"].isdigit(), down.headers
                assert "unavailable" in body["detail"] or "unreachable" in body["detail"]
            db.start()
            deadline = time.monotonic() + 30
            while (status := c.get("/v1/calls").status_code) != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert status == 200 and c.get("/v1/ready").status_code == 200
            assert "Traceback" not in running.log() and key not in running.log()
    finally:
        db.destroy()


async def _make_key(dsn: str, home: Path) -> None:
    from lib.db import open_database

    settings = Settings(database_url=dsn, data_dir=home / "data", cache_dir=home / "cache")
    async with open_database(settings) as pool:
        (home / "key").write_text(await ApiKeyRepository(pool).create("outage", "read"))


async def test_doctor_checks_the_api_when_asmis_api_url_is_set(server: ApiServer, seeded: Seeded) -> None:
    from lib.doctor.api import check_api
    from lib.doctor.check import DoctorContext
    from tests.api_server import free_port

    unset = await check_api(DoctorContext(seeded.settings))
    assert unset[0].status == "ok" and "not checked" in unset[0].detail
    up = await check_api(DoctorContext(seeded.settings.model_copy(update={"api_url": server.url + "/v1"})))
    assert up[0].status == "ok" and "ready" in up[0].detail, up
    closed = f"http://127.0.0.1:{free_port()}"
    down = await check_api(DoctorContext(seeded.settings.model_copy(update={"api_url": closed})))
    assert down[0].status == "fail" and closed in down[0].detail and "asmis api serve" in (down[0].fix or "")


def test_activation_goes_through_the_evaluation_gate(answering: Any, settings: Settings,  # noqa: F811
                                                     tmp_path: Path) -> None:
    """With ASMIS_EVAL_SET, a version that scores worse is refused with 409 and its scores, as `asmis
    prompts sync` refuses it; ?force=true activates it. The LLM is the fake Messages API, answering by prompt."""
    from tests.conftest import API_KEY
    from tests.test_eval import SET

    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    assert runner.invoke(app, ["prompts", "sync"]).exit_code == 0
    _run_in_thread(lambda: _make_key(url, tmp_path))
    env = {"ASMIS_LLM_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": API_KEY, "ANTHROPIC_BASE_URL": answering.url,
           "ASMIS_EVAL_SET": str(SET), "ASMIS_MODEL": "claude-sonnet-5-5"}
    with api_server(url, tmp_path / "home", **env) as running:
        key = (tmp_path / "key").read_text()
        _run_in_thread(lambda: _write_key(url, tmp_path))
        writer_key = (tmp_path / "write-key").read_text()
        with running.client(writer_key) as c:
            active = next(p for p in c.get("/v1/prompts", params={"agent_type": "meddpic"}).json()["items"]
                          if p["is_active"])
            broken = c.post("/v1/prompts", json={"agent_type": "meddpic",
                                                 "content": active["content"] + "\nBROKEN: answer nothing.\n"})
            assert broken.status_code == 201
            refused = problem(c.post(f"/v1/prompts/{broken.json()['id']}/activate"), 409)
            assert "mean F1" in refused["detail"] and "mean F1" in refused["scores"]
            assert c.get(f"/v1/prompts/{active['id']}").json()["is_active"] is True
            forced = c.post(f"/v1/prompts/{broken.json()['id']}/activate", params={"force": "true"})
            assert forced.status_code == 200 and forced.json()["changed"] is True
            assert "mean F1" in forced.json()["gate"]
        assert key not in running.log() and API_KEY not in running.log()


async def _write_key(dsn: str, home: Path) -> None:
    from lib.db import open_database

    settings = Settings(database_url=dsn, data_dir=home / "data", cache_dir=home / "cache")
    async with open_database(settings) as pool:
        (home / "write-key").write_text(await ApiKeyRepository(pool).create("gatekeeper", "write"))
