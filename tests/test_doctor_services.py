"""`asmis doctor`'s LLM and Prefect checks: the real anthropic SDK against tests/fake_messages_api.py
(a good key, a revoked one, an unknown model, an API that never answers) and plain REST against a real
Prefect server (prefect_test_harness) and against sockets that refuse or never answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lib.doctor.check import Check
from lib.doctor.registry import GROUPS
from lib.settings import Settings
from tests.conftest import API_KEY
from tests.doctor_helpers import by_name, closed_port, run_group, silent_server
from tests.fake_messages_api import FakeMessagesAPI

GROUP = {g.name: g for g in GROUPS}


@pytest.fixture
def anthropic_settings(settings: Settings, llm: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "anthropic")
    monkeypatch.setenv("ASMIS_MODEL", "claude-sonnet-5-5")
    return Settings()


# the LLM provider

async def test_offline_by_choice_is_ok_and_by_default_a_warning(settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok" and "ASMIS_LLM_PROVIDER=offline" in check.detail
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "auto")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    [check] = await run_group(GROUP["llm"])
    assert check.status == "warn" and "ANTHROPIC_API_KEY" in check.fix


async def test_a_key_accepted_costs_one_token_counting_request(anthropic_settings: Settings,
                                                               llm: FakeMessagesAPI) -> None:
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok" and "key accepted, model claude-sonnet-5-5 known" in check.detail, check
    assert llm.stats().by_path == {"POST /v1/messages/count_tokens": 1}  # nothing billed, nothing retried
    assert API_KEY not in check.detail


async def test_a_revoked_key_fails_and_is_never_shown(anthropic_settings: Settings, llm: FakeMessagesAPI) -> None:
    llm.revoked_keys = {API_KEY}
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "key was refused (401" in check.detail
    assert "ANTHROPIC_API_KEY" in check.fix
    assert all(piece not in check.detail + check.fix for piece in (API_KEY, API_KEY[:10], API_KEY[-8:]))


async def test_an_unknown_model_fails_and_an_unpriced_one_warns(anthropic_settings: Settings, llm: FakeMessagesAPI,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    llm.known_models = {"claude-sonnet-5-5", "claude-newest-9"}
    monkeypatch.setenv("ASMIS_MODEL", "claude-nonesuch-1")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "does not know the model claude-nonesuch-1" in check.detail
    assert "ASMIS_MODEL" in check.fix
    monkeypatch.setenv("ASMIS_MODEL", "claude-newest-9")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "warn" and "no price is known for claude-newest-9" in check.detail


async def test_a_missing_key_or_an_api_that_never_answers_fails(anthropic_settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as port:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
        [check] = await run_group(GROUP["llm"], timeout=1.0)
    assert check.status == "fail" and "no answer" in check.detail, check
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and check.fix == "set ANTHROPIC_API_KEY"


# the Prefect API

@pytest.fixture
def no_prefect_url(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))  # no profile names a server


async def test_no_prefect_server_configured_or_running(no_prefect_url: None, monkeypatch: pytest.MonkeyPatch) -> None:
    [check] = await run_group(GROUP["prefect"])
    assert check.status == "warn" and "ASMIS_PREFECT_LOCAL_SERVER=false" in check.detail
    monkeypatch.setenv("ASMIS_PREFECT_LOCAL_SERVER", "true")
    [check] = await run_group(GROUP["prefect"])
    assert check.status == "warn" and "not running" in check.detail and check.fix == "`asmis server start`"


async def test_a_prefect_server_that_refuses_or_never_answers_fails(no_prefect_url: None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port()}/api")
    [check] = await run_group(GROUP["prefect"])
    assert check.status == "fail" and "cannot reach it" in check.detail and "PREFECT_API_URL" in check.fix
    with silent_server() as port:
        monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{port}/api")
        [check] = await run_group(GROUP["prefect"], timeout=1.0)
    assert check.status == "fail" and "no answer within" in check.detail


@pytest.fixture
async def prefect_api(prefect_harness: None, no_prefect_url: None, monkeypatch: pytest.MonkeyPatch
                      ) -> AsyncIterator[str]:
    """The test harness's real Prefect server, named by PREFECT_API_URL as a user's would be."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url
    monkeypatch.setenv("PREFECT_API_URL", url)
    yield url


async def _until(check_name: str, status: str) -> Check:
    """The prefect group's `check_name` line once it has `status` (the server marks polls in the background)."""
    for _ in range(60):
        found = by_name(await run_group(GROUP["prefect"]))
        if found[check_name].status == status:
            return found[check_name]
        await asyncio.sleep(0.5)
    return found[check_name]


async def test_served_deployments_and_work_pool_workers_on_a_real_prefect_server(prefect_api: str) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    checks = by_name(await run_group(GROUP["prefect"]))
    assert checks["prefect"].status == "ok" and "Prefect 3." in checks["prefect"].detail
    assert checks["deployments"].status == "warn" and "no ASMIS deployment" in checks["deployments"].detail
    pool = f"asmis-doctor-{uuid.uuid4().hex[:8]}"
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("nightly")
        served = await client.create_deployment(flow_id=flow_id, name="nightly")
        try:
            checks = by_name(await run_group(GROUP["prefect"]))
            assert checks["deployments"].status == "fail" and "nothing serves nightly never polled" in checks[
                "deployments"].detail
            assert checks["deployments"].fix.startswith("`asmis serve`")
            await client.get_scheduled_flow_runs_for_deployments(deployment_ids=[served])  # what `asmis serve` does
            check = await _until("deployments", "ok")
            assert check.status == "ok" and "served by `asmis serve`" in check.detail
            await client.delete_deployment(served)

            await client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            process_flow = await client.create_flow_from_name("process-transcripts")
            pooled = await client.create_deployment(flow_id=process_flow, name="process-transcripts",
                                                    work_pool_name=pool)
            check = by_name(await run_group(GROUP["prefect"]))["deployments"]
            assert check.status == "fail" and f"no worker polls work pool {pool}" in check.detail
            assert check.fix == f"start a worker: `prefect worker start --pool {pool}`"
            await client.send_worker_heartbeat(work_pool_name=pool, worker_name="doctor-test-worker")
            await client.get_scheduled_flow_runs_for_work_pool(pool)  # a worker's poll
            check = await _until("deployments", "ok")
            assert check.status == "ok" and f"work pool {pool} (1 of 1 worker online" in check.detail, check
            await client.delete_deployment(pooled)
        finally:
            for deployment in await client.read_deployments():
                if deployment.flow_id in (flow_id,) or deployment.work_pool_name == pool:
                    await client.delete_deployment(deployment.id)
            await client.delete_work_pool(pool)


# the command

def _secret_free(output: str, *secrets: str) -> bool:
    return all(piece not in output for s in secrets for piece in (s, s[:8], s[-8:]))


def test_the_command_exits_0_with_warnings_and_prints_json(settings: Settings) -> None:
    from typer.testing import CliRunner

    from lib.cli.main import app

    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]
    assert [c["name"] for c in checks][:2] == ["database", "prompt meddpic"]
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in checks)
    assert {c["status"] for c in checks} == {"ok", "warn"}  # prompts not synced yet, no Prefect server
    assert all(c["fix"] for c in checks if c["status"] != "ok")
    text = CliRunner().invoke(app, ["doctor"])
    assert text.exit_code == 0 and text.output.splitlines()[-1].startswith(f"{len(checks)} checks: ")


def test_the_command_exits_1_on_a_failure_and_never_prints_a_secret(
        settings: Settings, llm: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lib.cli.main import app
    from lib.settings import get_settings

    password = "pg-PASSWORD-do-not-print-84c2f1"
    monkeypatch.setenv("ASMIS_DATABASE_URL", f"postgresql://asmis:{password}@127.0.0.1:{closed_port()}/asmis")
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "anthropic")
    llm.revoked_keys = {API_KEY}
    get_settings.cache_clear()
    for args in (["doctor"], ["doctor", "--json"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, result.output
        assert "fail" in result.output and _secret_free(result.output, API_KEY, password)
    checks = by_name([Check(**c) for c in json.loads(result.stdout)["checks"]])
    assert checks["database"].status == "fail" and checks["llm"].status == "fail"
    assert llm.stats().by_path == {"POST /v1/messages/count_tokens": 2}  # one request per doctor run
    get_settings.cache_clear()


def test_invalid_settings_are_one_failed_check(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from lib.cli.main import app
    from lib.settings import get_settings

    monkeypatch.setenv("ASMIS_LLM_CONCURRENCY", "0")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["doctor", "--json"])
    get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    [check] = json.loads(result.stdout)["checks"]
    assert check["name"] == "settings" and check["status"] == "fail" and "ASMIS_LLM_CONCURRENCY" in check["detail"]


def test_the_command_imports_no_prefect(settings: Settings) -> None:
    """Doctor must answer fast: its Prefect check is plain REST, not the Prefect client."""
    import subprocess
    import sys

    script = ("import sys\nfrom typer.testing import CliRunner\nfrom lib.cli.main import app\n"
              "result = CliRunner().invoke(app, ['doctor', '--json'])\n"
              "print(result.exit_code, sorted(m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "0 []", done.stdout + done.stderr
