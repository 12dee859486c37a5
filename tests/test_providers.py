"""The agent tests of tests/test_agents.py, over each new provider: Claude on Bedrock and on Vertex AI through
the `anthropic` SDK's own clients, and an OpenAI-compatible server through the `openai` client, each
against its fake on loopback (tests/fake_claude_platforms.py, tests/fake_openai.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lib.agents import MeddpicAgent, StakeholderAgent
from lib.agents.schemas import MeddpicAnalysis
from lib.errors import PermanentAgentError, RetryableAgentError
from lib.llm import check_provider, platform_model
from lib.llm.claude_platforms import BedrockProvider, VertexProvider
from lib.llm.openai_compat import OpenAIProvider
from lib.llm.pricing import claude_family, is_local, price_for
from lib.settings import Settings
from tests.fake_claude_platforms import FAKE_TOKEN, FakeBedrock, FakeVertex, adc_file, bedrock_env
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_openai import FakeOpenAI
from tests.test_agents import _prompt, _transcript

AWS_SECRET = "fake/secret/key/EXAMPLE"
OPENAI_KEY = "sk-test-openai-DO-NOT-LEAK-41c2"
MODELS = {"bedrock": "anthropic.claude-sonnet-4-5-20250929-v1:0", "vertex": "claude-sonnet-4-5@20250929",
          "openai": "llama3.1:8b"}


@dataclass
class Platform:
    kind: str
    fake: FakeMessagesAPI
    make: Callable[..., Any]
    secret: str

    def calls(self) -> int:
        if isinstance(self.fake, FakeOpenAI):
            return self.fake.chat_calls()
        assert isinstance(self.fake, FakeBedrock | FakeVertex)
        return self.fake.invocations()

    def last_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.fake.recorded_bodies[-1]["messages"] if m["role"] != "system"]


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, FakeMessagesAPI]]:
    with FakeBedrock() as bedrock, FakeVertex() as vertex, FakeOpenAI() as openai:
        yield {"bedrock": bedrock, "vertex": vertex, "openai": openai}


@pytest.fixture(params=["bedrock", "vertex", "openai"])
def platform(request: pytest.FixtureRequest, fakes: dict[str, FakeMessagesAPI], tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Platform:
    kind: str = request.param
    fake = fakes[kind]
    fake.reset()
    for name in ("AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    if isinstance(fake, FakeBedrock):
        env, secret = dict(bedrock_env(fake)), AWS_SECRET
    elif isinstance(fake, FakeVertex):
        env, secret = dict(adc_file(tmp_path / "adc.json", fake)), FAKE_TOKEN
    else:
        env, secret = {"OPENAI_BASE_URL": f"{fake.url}/v1", "OPENAI_API_KEY": OPENAI_KEY}, OPENAI_KEY
        fake.api_key = OPENAI_KEY
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cls = {"bedrock": BedrockProvider, "vertex": VertexProvider, "openai": OpenAIProvider}[kind]

    def make(**kwargs: Any) -> Any:
        return cls(MODELS[kind], **kwargs)

    return Platform(kind, fake, make, secret)


async def test_structured_output_is_parsed_grounded_and_recorded(platform: Platform) -> None:
    result = await MeddpicAgent(platform.make()).process(_transcript(), _prompt())
    assert result.status == "completed" and result.attempts == 1 and result.model == MODELS[platform.kind]
    assert result.llm_provider == platform.kind
    analysis = MeddpicAnalysis.model_validate(result.data)
    quotes = [e.quote for el in analysis.elements().values() for e in el.evidence]
    assert quotes and all(q.lower().rstrip(".") in _transcript().content.lower() for q in quotes)
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.confidence is not None and 0 < result.confidence <= 1
    body = platform.fake.recorded_bodies[-1]
    if platform.kind == "openai":  # a local server: costs nothing, and that is known
        assert body["response_format"]["type"] == "json_schema" and body["response_format"]["json_schema"]["strict"]
        assert result.cost_usd == 0 and not any("cost unknown" in w for w in result.warnings)
        assert platform.fake.last_headers.get("authorization") == f"Bearer {OPENAI_KEY}"
    else:  # Claude on the platform: the same request as the Anthropic API's, priced from Claude's table
        assert body["output_config"]["format"]["type"] == "json_schema" and "model" not in body
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"} and "anthropic_version" in body
        assert result.cost_usd > 0


async def test_second_call_reads_the_prompt_cache(platform: Platform) -> None:
    if platform.kind == "openai":
        pytest.skip("prompt caching on an OpenAI-compatible server is the server's own (no cache_control)")
    platform.fake.clear_prompt_cache()
    agent = StakeholderAgent(platform.make())
    first = await agent.process(_transcript(), _prompt("stakeholder"))
    second = await agent.process(_transcript(), _prompt("stakeholder"))
    assert first.cache_write_tokens > 0 and second.cache_read_tokens > 0


async def test_malformed_reply_is_asked_again_with_the_reason(platform: Platform) -> None:
    platform.fake.script(["malformed", "ok"])
    result = await MeddpicAgent(platform.make()).process(_transcript(), _prompt())
    assert result.status == "completed" and result.attempts == 2 and platform.calls() == 2
    reask = platform.last_messages()
    assert [m["role"] for m in reask] == ["user", "assistant", "user"]
    assert "did not match the JSON schema" in reask[-1]["content"]
    assert result.input_tokens > 0


async def test_reply_that_never_validates_is_permanent_after_the_bound(platform: Platform) -> None:
    platform.fake.script(["malformed"] * 3)
    with pytest.raises(PermanentAgentError) as info:
        await MeddpicAgent(platform.make(), max_reasks=2).process(_transcript(), _prompt())
    assert info.value.attempts == 3 and platform.calls() == 3
    assert info.value.usage is not None and info.value.usage.output_tokens > 0  # failed tries still cost


async def test_ungrounded_quotes_are_dropped_and_lower_confidence(platform: Platform) -> None:
    agent = MeddpicAgent(platform.make(), max_reasks=0)
    clean = await agent.process(_transcript(), _prompt())
    platform.fake.script(["ungrounded"])
    dirty = await agent.process(_transcript(), _prompt())
    assert any("not found in the transcript" in w for w in dirty.warnings)
    assert dirty.confidence is not None and clean.confidence is not None and dirty.confidence < clean.confidence


async def test_mostly_ungrounded_reply_is_asked_again(platform: Platform) -> None:
    platform.fake.script(["ungrounded", "ok"])
    result = await MeddpicAgent(platform.make()).process(_transcript(), _prompt())
    assert result.attempts == 2 and "not in the transcript" in platform.last_messages()[-1]["content"]


async def test_429_retry_after_is_honoured_but_capped(platform: Platform) -> None:
    provider = platform.make(max_retry_after=0.3)
    platform.fake.script(["429:3600"])
    started = time.monotonic()
    result = await MeddpicAgent(provider).process(_transcript(), _prompt())
    waited = time.monotonic() - started
    assert result.status == "completed" and platform.calls() == 2
    assert 0.25 <= waited < 30, "a one-hour retry-after must be capped, a short wait kept"


async def test_refused_credentials_are_permanent_not_retried_and_not_logged(
        platform: Platform, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(platform.fake, FakeVertex):
        platform.fake.accepted = "ya29.another-token"  # the token we are issued is no longer accepted
    elif isinstance(platform.fake, FakeBedrock):
        platform.fake.api_key = "AKIAOTHERKEY"  # another access key id is the one the account knows
    else:
        platform.fake.api_key = "sk-another-key"
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentAgentError) as info:
        await MeddpicAgent(platform.make()).process(_transcript(), _prompt())
    assert platform.calls() == 1 and ("401" in str(info.value) or "403" in str(info.value))
    assert len(str(info.value).splitlines()) == 1
    assert platform.secret not in str(info.value) and platform.secret not in repr(info.value.errors)
    assert platform.secret not in caplog.text


async def test_overload_that_outlives_the_sdk_is_retryable(platform: Platform) -> None:
    platform.fake.script(["529:0.01"] * 3)
    with pytest.raises(RetryableAgentError):
        await MeddpicAgent(platform.make()).process(_transcript(), _prompt())
    assert platform.calls() == 3


async def test_hung_call_times_out_as_retryable(platform: Platform) -> None:
    platform.fake.hang_seconds = 5
    platform.fake.script(["hang"])
    provider = platform.make(max_retries=0, timeout=0.5)
    with pytest.raises(RetryableAgentError, match="timed out"):
        await MeddpicAgent(provider).process(_transcript(), _prompt())


async def test_no_secret_or_transcript_text_in_the_result(platform: Platform) -> None:
    provider = platform.make()
    result = await StakeholderAgent(provider).process(_transcript(), _prompt("stakeholder"))
    dumped = result.model_dump_json()
    assert platform.secret not in dumped and _transcript().content not in dumped
    health = await StakeholderAgent(provider).health_check()
    assert health.ok is True and platform.secret not in health.detail


async def test_unknown_model_is_a_clear_health_problem(platform: Platform) -> None:
    if isinstance(platform.fake, FakeOpenAI):
        platform.fake.served_models = {"llama3.1:8b"}
        provider = OpenAIProvider("llama9:400b")
    else:
        assert isinstance(platform.fake, FakeBedrock | FakeVertex)
        platform.fake.known_platform_models = {MODELS[platform.kind]}
        provider = platform.make()
        provider.model = "claude-nonexistent-9"
    try:
        health = await provider.health_check()
    finally:
        if isinstance(platform.fake, FakeOpenAI):
            platform.fake.served_models = None
    assert health.ok is False and health.problem == "model", health


# --- model ids and prices ----------------------------------------------------------------------------

def test_platform_model_ids() -> None:
    assert platform_model("bedrock", "claude-sonnet-4-5-20250929") == "anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert platform_model("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0") == (
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert platform_model("vertex", "claude-sonnet-4-5-20250929") == "claude-sonnet-4-5@20250929"
    assert platform_model("vertex", "claude-sonnet-4-5") == "claude-sonnet-4-5"
    assert platform_model("openai", "claude-sonnet-4-5") == "claude-sonnet-4-5"
    assert claude_family("global.anthropic.claude-haiku-4-5-20251001-v1:0") == "claude-haiku-4-5-20251001"
    assert claude_family("claude-opus-4-1@20250805") == "claude-opus-4-1-20250805"


def test_prices_per_provider() -> None:
    anthropic = price_for("claude-sonnet-4-5")
    assert anthropic is not None
    assert price_for("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock") == anthropic
    assert price_for("claude-sonnet-4-5@20250929", "vertex") == anthropic
    assert price_for("mistral-large", "bedrock") is None  # not Claude: unknown, never guessed
    free = price_for("llama3.1:8b", "openai", base_url="http://127.0.0.1:11434/v1")
    assert free is not None and free.input == free.output == 0
    assert price_for("llama3.1:8b", "openai", base_url="https://gateway.example.com/v1") is None
    assert price_for("gpt-4o-mini", "openai", base_url=None) is not None
    override = price_for("anything", "openai", base_url="https://gateway.example.com/v1", override="1.5,6")
    assert override is not None and override.input == Decimal("1.5") and override.output == 6
    assert is_local("http://localhost:8000/v1") and is_local("http://10.1.2.3:8000") and not is_local(
        "https://api.openai.com/v1")


async def test_unknown_price_is_recorded_as_zero_with_a_warning(
        fakes: dict[str, FakeMessagesAPI], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fakes["openai"]
    fake.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1".replace("127.0.0.1", "localhost.example"))
    provider = OpenAIProvider("some-hosted-model")  # neither local nor OpenAI's own: no price known
    assert provider.price_known is False
    monkeypatch.setenv("OPENAI_BASE_URL", f"{fake.url}/v1")
    result = await MeddpicAgent(provider).process(_transcript(), _prompt())
    assert result.cost_usd == 0 and any(w.startswith("cost unknown") for w in result.warnings)


def test_missing_settings_fail_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.errors import ConfigError

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "CLOUD_ML_REGION"):
        monkeypatch.delenv(name, raising=False)
    for kind, needle in (("bedrock", "AWS_REGION"), ("vertex", "CLOUD_ML_REGION"), ("openai", "ASMIS_MODEL")):
        with pytest.raises(ConfigError, match=needle) as info:
            check_provider(Settings(llm_provider=kind))  # type: ignore[arg-type]
        assert len(str(info.value).splitlines()) == 1
    assert check_provider(Settings(llm_provider="openai", model="qwen2.5:7b")) == "qwen2.5:7b"  # type: ignore[arg-type]
