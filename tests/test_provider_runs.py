"""`asmis run` and `asmis eval` end to end over each new provider, through the real CLI, Prefect flow,
PostgreSQL and SDK clients against the provider's fake: results record the provider beside the model, batch
mode says it is unavailable and runs interactively, refused credentials fail the run without showing them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings, get_settings
from tests.fake_claude_platforms import FakeBedrock, FakeVertex, adc_file, bedrock_env
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_openai import FakeOpenAI

runner = CliRunner()
CALLS = Path(__file__).parent / "fixtures" / "transcripts" / "calls"
EVAL_SET = Path(__file__).parent / "fixtures" / "eval"
OPENAI_KEY = "sk-run-openai-DO-NOT-LEAK-93"
AWS_SECRET = "fake/secret/key/EXAMPLE"
MODELS = {"bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0", "vertex": "claude-sonnet-4-5@20250929",
          "openai": "llama3.1:8b"}


@dataclass
class Setup:
    kind: str
    fake: FakeMessagesAPI
    secret: str

    def refuse(self) -> None:
        if isinstance(self.fake, FakeVertex):
            self.fake.accepted = "ya29.revoked"
        elif isinstance(self.fake, FakeBedrock):
            self.fake.api_key = "AKIASOMEONEELSE"
        else:
            self.fake.api_key = "sk-someone-else"


@pytest.fixture(scope="module")
def run_fakes() -> Iterator[dict[str, FakeMessagesAPI]]:
    with FakeBedrock() as bedrock, FakeVertex() as vertex, FakeOpenAI() as openai:
        yield {"bedrock": bedrock, "vertex": vertex, "openai": openai}


@pytest.fixture(params=["bedrock", "vertex", "openai"])
def provider_setup(request: pytest.FixtureRequest, run_fakes: dict[str, FakeMessagesAPI], settings: Settings,
                   prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    kind: str = request.param
    fake = run_fakes[kind]
    fake.reset()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    for name in ("AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env: dict[str, str]
    if isinstance(fake, FakeBedrock):
        env, secret = dict(bedrock_env(fake)), AWS_SECRET
    elif isinstance(fake, FakeVertex):
        env, secret = dict(adc_file(tmp_path / "sa.json", fake)), fake.token
    else:
        fake.api_key = OPENAI_KEY
        env, secret = {"OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": OPENAI_KEY}, OPENAI_KEY
    env |= {"ASMIS_LLM_PROVIDER": kind, "ASMIS_MODEL": MODELS[kind], "ASMIS_TASK_RETRY_BASE_SECONDS": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield Setup(kind, fake, secret)
    get_settings.cache_clear()


def _results() -> list[dict[str, Any]]:
    listed = runner.invoke(app, ["results", "--json"])
    assert listed.exit_code == 0, listed.output
    return list(json.loads(listed.output))


def test_run_with_batch_api_runs_interactively_and_records_the_provider(
        provider_setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    assert runner.invoke(app, ["ingest", str(CALLS / "orbit_retail_renewal.srt"),
                               str(CALLS / "zoom_northwind_discovery.vtt")]).exit_code == 0
    with caplog.at_level(logging.INFO):
        ran = runner.invoke(app, ["run", "--batch-api"])
    assert ran.exit_code == 0, ran.output
    assert "batch mode is unavailable with provider " + provider_setup.kind in ran.output
    rows = _results()
    assert len(rows) == 4 and {r["status"] for r in rows} == {"completed"}
    assert {r["llm_provider"] for r in rows} == {provider_setup.kind}
    assert {r["model_requested"] for r in rows} == {MODELS[provider_setup.kind]}
    assert {r["llm_mode"] for r in rows} == {"interactive"}
    if provider_setup.kind == "openai":  # a local server: 0, known
        assert all(float(r["cost_usd"]) == 0 and not any("cost unknown" in w for w in r["warnings"]) for r in rows)
    else:
        assert all(float(r["cost_usd"]) > 0 for r in rows)
    assert provider_setup.secret not in ran.output + caplog.text + json.dumps(rows)
    again = runner.invoke(app, ["run"])  # served: nothing asked of the provider again
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_refused_credentials_fail_the_run_without_showing_them(
        provider_setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    assert runner.invoke(app, ["ingest", str(CALLS / "orbit_retail_renewal.srt")]).exit_code == 0
    provider_setup.refuse()
    with caplog.at_level(logging.DEBUG):
        ran = runner.invoke(app, ["run"])
    assert ran.exit_code == 1, ran.output
    rows = _results()
    assert {r["status"] for r in rows} == {"failed"} and {r["attempts"] for r in rows} == {1}  # permanent
    assert all(len(e.splitlines()) == 1 for r in rows for e in r["errors"])
    assert any("401" in e or "403" in e for r in rows for e in r["errors"])
    assert provider_setup.secret not in ran.output + caplog.text + json.dumps(rows)


def test_eval_takes_the_provider(provider_setup: Setup) -> None:
    result = runner.invoke(app, ["eval", str(EVAL_SET), "--provider", provider_setup.kind, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["provider"] == provider_setup.kind and out["model"] == MODELS[provider_setup.kind]
    assert out["calls"] == 2 and out["tokens"]["input"] > 0
    assert provider_setup.secret not in result.output


def test_eval_refuses_an_unknown_provider(settings: Settings) -> None:
    result = runner.invoke(app, ["eval", str(EVAL_SET), "--provider", "azure"])
    assert result.exit_code == 2 and "expected auto, anthropic, bedrock, vertex, openai or offline" in result.output
