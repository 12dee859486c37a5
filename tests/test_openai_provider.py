"""What is particular to the OpenAI-compatible provider, through the real `openai` client against the fake
chat-completions server: a server that refuses JSON schemas, OpenAI's rate-limit headers feeding the pacer,
a server that sends none, and the headers' translation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lib.agents import MeddpicAgent, StakeholderAgent
from lib.llm.limits import LimitedProvider
from lib.llm.openai_compat import OpenAIProvider
from lib.llm.pacing import Pacer
from lib.llm.ratelimit_headers import openai_as_anthropic, openai_duration, parse_rate_limits
from tests.fake_openai import FakeOpenAI
from tests.fake_ratelimit import AccountBuckets
from tests.test_agents import _prompt, _transcript

MODEL = "qwen2.5:7b"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_fake(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    server.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a local server needs none
    return server


async def test_a_server_refusing_schemas_gets_json_mode_with_the_schema_in_the_prompt(openai_fake: FakeOpenAI) -> None:
    openai_fake.refuse_schemas = True
    provider = OpenAIProvider(MODEL)
    first = await MeddpicAgent(provider).process(_transcript(), _prompt())
    assert first.status == "completed" and provider.json_mode is True and openai_fake.schema_refusals == 1
    body = openai_fake.recorded_bodies[-1]
    assert body["response_format"] == {"type": "json_object"}
    assert '"MeddpicAnalysis"' in body["messages"][0]["content"]  # the schema travels in the system prompt
    # later calls go straight to JSON mode: no second refusal
    await StakeholderAgent(provider).process(_transcript(), _prompt("stakeholder"))
    assert openai_fake.schema_refusals == 1 and openai_fake.chat_calls() == 3


async def test_json_mode_reply_that_breaks_the_schema_is_asked_again(openai_fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(MODEL, json_mode=True)
    openai_fake.script(["malformed", "ok"])
    result = await MeddpicAgent(provider).process(_transcript(), _prompt())
    assert result.status == "completed" and result.attempts == 2
    reask = openai_fake.recorded_bodies[-1]["messages"]
    assert [m["role"] for m in reask] == ["system", "user", "assistant", "user"]
    assert "did not match the JSON schema" in reask[-1]["content"]


async def test_ratelimit_headers_feed_the_pacer(openai_fake: FakeOpenAI) -> None:
    openai_fake.rate_limits = AccountBuckets(requests=50, input_tokens=400_000, output_tokens=None, window_s=60)
    provider = OpenAIProvider(MODEL, pacer=Pacer())
    limited = LimitedProvider(provider, 4, None)
    await MeddpicAgent(limited).process(_transcript(), _prompt())
    assert provider.pacer is not None and provider.pacer.active
    buckets = provider.pacer.buckets()
    assert buckets["requests"][0] == 50 and buckets["input-tokens"][0] == 400_000
    assert buckets["requests"][1] < 50  # the call was paid for


async def test_a_server_without_ratelimit_headers_is_not_paced(openai_fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(MODEL, pacer=Pacer())
    limited = LimitedProvider(provider, 4, None)
    for _ in range(3):
        await MeddpicAgent(limited).process(_transcript(), _prompt())
    assert provider.pacer is not None and not provider.pacer.active and provider.pacer.waited_seconds < 1


async def test_429_with_retry_after_is_obeyed(openai_fake: FakeOpenAI) -> None:
    openai_fake.script(["429:0.4"])
    started = time.monotonic()
    result = await MeddpicAgent(OpenAIProvider(MODEL)).process(_transcript(), _prompt())
    assert result.status == "completed" and openai_fake.chat_calls() == 2
    assert time.monotonic() - started >= 0.35


async def test_cut_off_reply_is_asked_again_more_briefly(openai_fake: FakeOpenAI) -> None:
    provider = OpenAIProvider(MODEL, json_mode=True)
    agent = MeddpicAgent(provider, max_reasks=0)
    request = agent.request(_transcript(), _prompt())
    from dataclasses import replace

    reply = await provider.complete(replace(request, max_tokens=20))
    assert reply.parsed is None and reply.error is not None and "cut off" in reply.error


def test_openai_headers_translate_to_the_buckets_the_pacer_reads() -> None:
    assert openai_duration("6m0s") == 360 and openai_duration("1.5s") == 1.5 and openai_duration("20ms") == 0.02
    assert openai_duration("1h2m3s") == 3723 and openai_duration("soon") is None
    now = 1_800_000_000.0
    headers = {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "499",
               "x-ratelimit-reset-requests": "120ms", "x-ratelimit-limit-tokens": "30000",
               "x-ratelimit-remaining-tokens": "29000", "x-ratelimit-reset-tokens": "2s", "retry-after": "1"}
    reports = parse_rate_limits(openai_as_anthropic(headers, now), now)
    assert reports["requests"].limit == 500 and reports["requests"].remaining == 499
    assert reports["input-tokens"].limit == 30000 and reports["input-tokens"].reset_in == pytest.approx(2, abs=0.01)
    assert openai_as_anthropic({"content-type": "application/json"}, now) == {}
