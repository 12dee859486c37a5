"""`asmis doctor`'s LLM check for each new provider: the real SDK clients against the fakes on loopback
(tests/fake_claude_platforms.py, tests/fake_openai.py): credentials accepted, refused, a model unknown,
a region or endpoint that does not answer, a setting missing; one cheap request each, no secret shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lib.doctor.registry import GROUPS
from tests.doctor_helpers import closed_port, run_group
from tests.fake_claude_platforms import FAKE_TOKEN, FakeBedrock, FakeVertex, adc_file, bedrock_env
from tests.fake_openai import FakeOpenAI

GROUP = {g.name: g for g in GROUPS}
OPENAI_KEY = "sk-doctor-openai-DO-NOT-LEAK-77"
AWS_SECRET = "fake/secret/key/EXAMPLE"


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASMIS_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("ANTHROPIC_API_KEY", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN",
                 "ASMIS_MODEL", "ASMIS_LLM_PRICE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def bedrock() -> Iterator[FakeBedrock]:
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture(scope="module")
def vertex() -> Iterator[FakeVertex]:
    with FakeVertex() as fake:
        yield fake


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(served_models={"llama3.1:8b", "qwen2.5:7b"}) as fake:
        yield fake


def _bedrock_env(fake: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.reset()
    for name, value in bedrock_env(fake).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "bedrock")
    monkeypatch.setenv("ASMIS_MODEL", "anthropic.claude-sonnet-4-5-20250929-v1:0")


async def test_bedrock_credentials_accepted_with_one_call(bedrock: FakeBedrock, monkeypatch: pytest.MonkeyPatch) -> None:
    _bedrock_env(bedrock, monkeypatch)
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok" and check.detail.startswith("bedrock at http://127.0.0.1:"), check
    assert "credentials accepted" in check.detail and bedrock.invocations() == 1
    body = bedrock.recorded_bodies[-1]
    assert body["max_tokens"] == 1  # no token counting on Bedrock: the cheapest call there is
    assert AWS_SECRET not in check.detail + check.fix


async def test_bedrock_refused_credentials_and_unknown_model_fail(bedrock: FakeBedrock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _bedrock_env(bedrock, monkeypatch)
    bedrock.api_key = "AKIASOMEONEELSE"
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "credentials were refused (403)" in check.detail, check
    assert "AWS" in check.fix and AWS_SECRET not in check.detail + check.fix
    bedrock.api_key = None
    bedrock.known_platform_models = {"anthropic.claude-haiku-4-5-20251001-v1:0"}
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "does not know the model" in check.detail, check
    assert "ASMIS_MODEL" in check.fix


async def test_bedrock_without_a_region_or_reachable_endpoint_fails(bedrock: FakeBedrock,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _bedrock_env(bedrock, monkeypatch)
    monkeypatch.setenv("ANTHROPIC_BEDROCK_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    [check] = await run_group(GROUP["llm"], timeout=3.0)
    assert check.status == "fail" and "no answer" in check.detail and "AWS_REGION" in check.fix, check
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "AWS_REGION" in check.detail and len(check.detail.splitlines()) == 1


async def test_vertex_counts_tokens_with_an_adc_token(vertex: FakeVertex, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    vertex.reset()
    for name, value in adc_file(tmp_path / "sa.json", vertex).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "vertex")
    monkeypatch.setenv("ASMIS_MODEL", "claude-sonnet-4-5-20250929")  # a bare Claude id: mapped to Vertex's form
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok" and "model claude-sonnet-4-5@20250929 known" in check.detail, check
    assert vertex.stats().by_path == {
        f"POST /v1/projects/{vertex.project}/locations/{vertex.region}/publishers/anthropic/models/"
        "count-tokens:rawPredict": 1}
    assert vertex.tokens_issued == 1  # the service account's token, from its token_uri
    vertex.accepted = "ya29.revoked"
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "refused (401)" in check.detail and "gcloud" in check.fix, check
    assert FAKE_TOKEN not in check.detail + check.fix
    monkeypatch.delenv("CLOUD_ML_REGION")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "CLOUD_ML_REGION" in check.detail


async def test_openai_lists_models_and_names_a_missing_one(openai_server: FakeOpenAI,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    openai_server.reset()
    openai_server.api_key = OPENAI_KEY
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{openai_server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "ASMIS_MODEL is not set" in check.detail  # no Claude default for a server
    monkeypatch.setenv("ASMIS_MODEL", "qwen2.5:7b")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok" and "model qwen2.5:7b served" in check.detail, check
    assert openai_server.stats().by_path == {"GET /v1/models": 1}  # nothing billed
    monkeypatch.setenv("ASMIS_MODEL", "llama9:400b")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "does not serve the model llama9:400b" in check.detail
    assert "ollama pull" in check.fix
    monkeypatch.setenv("ASMIS_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "fail" and "key was refused (401)" in check.detail and "OPENAI_API_KEY" in check.fix
    assert OPENAI_KEY not in check.detail + check.fix and "sk-wrong" not in check.detail + check.fix


async def test_a_model_with_no_known_price_warns_until_priced(bedrock: FakeBedrock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _bedrock_env(bedrock, monkeypatch)
    monkeypatch.setenv("ASMIS_MODEL", "anthropic.claude-newest-9-v1:0")  # answered, but in no price table
    [check] = await run_group(GROUP["llm"])
    assert check.status == "warn" and "no price is known" in check.detail and "ASMIS_LLM_PRICE" in check.fix, check
    monkeypatch.setenv("ASMIS_LLM_PRICE", "3,15")
    [check] = await run_group(GROUP["llm"])
    assert check.status == "ok", check
