"""Agents through the real anthropic SDK against the fake Messages API."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest

from lib.agents import MeddpicAgent, StakeholderAgent
from lib.agents.schemas import MeddpicAnalysis
from lib.errors import PermanentAgentError, RetryableAgentError
from lib.llm.anthropic import SDK_MAX_RETRIES, AnthropicProvider
from lib.models import Prompt, Transcript
from tests.conftest import API_KEY
from tests.fake_messages_api import FakeMessagesAPI
from tests.helpers import message_calls as _calls
from tests.helpers import synthetic_transcript

MODEL = "claude-sonnet-5-5"


def _transcript() -> Transcript:
    new = synthetic_transcript(7)
    return Transcript(**new.model_dump(), id=7, ingested_at=datetime.now(UTC))


def _prompt(agent_type: str = "meddpic") -> Prompt:
    return Prompt.model_validate({"id": 3, "agent_type": agent_type, "version": "abc", "content": "Analyse it.",
                                  "content_sha256": "c" * 64, "is_active": True, "source_path": None,
                                  "created_at": datetime.now(UTC)})



async def test_structured_output_is_parsed_grounded_and_priced(llm: FakeMessagesAPI) -> None:
    result = await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert result.status == "completed" and result.attempts == 1 and result.model == MODEL
    analysis = MeddpicAnalysis.model_validate(result.data)
    quotes = [e.quote for el in analysis.elements().values() for e in el.evidence]
    assert quotes and all(q.lower().rstrip(".") in _transcript().content.lower() for q in quotes)
    assert result.input_tokens > 0 and result.output_tokens > 0 and result.cost_usd > 0
    assert result.confidence is not None and 0 < result.confidence <= 1
    body = llm.recorded_bodies[-1]
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert llm.last_headers.get("authorization") == f"Bearer {API_KEY}"


async def test_second_call_reads_the_prompt_cache(llm: FakeMessagesAPI) -> None:
    llm.clear_prompt_cache()
    agent = StakeholderAgent(AnthropicProvider(MODEL))
    first = await agent.process(_transcript(), _prompt("stakeholder"))
    second = await agent.process(_transcript(), _prompt("stakeholder"))
    assert first.cache_write_tokens > 0 and second.cache_read_tokens > 0


async def test_malformed_reply_is_asked_again_with_the_reason(llm: FakeMessagesAPI) -> None:
    llm.script(["malformed", "ok"])
    result = await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert result.status == "completed" and result.attempts == 2 and _calls(llm) == 2
    reask = llm.recorded_bodies[-1]["messages"]
    assert [m["role"] for m in reask] == ["user", "assistant", "user"]
    assert "did not match the JSON schema" in reask[-1]["content"]
    assert result.input_tokens > 0


async def test_reply_that_never_validates_is_permanent_after_the_bound(llm: FakeMessagesAPI) -> None:
    llm.script(["malformed"] * 3)
    with pytest.raises(PermanentAgentError) as info:
        await MeddpicAgent(AnthropicProvider(MODEL), max_reasks=2).process(_transcript(), _prompt())
    assert info.value.attempts == 3 and _calls(llm) == 3
    assert info.value.usage is not None and info.value.usage.output_tokens > 0  # failed tries still cost


async def test_ungrounded_quotes_are_dropped_and_lower_confidence(llm: FakeMessagesAPI) -> None:
    agent = MeddpicAgent(AnthropicProvider(MODEL), max_reasks=0)
    clean = await agent.process(_transcript(), _prompt())
    llm.script(["ungrounded"])
    dirty = await agent.process(_transcript(), _prompt())
    assert any("not found in the transcript" in w for w in dirty.warnings)
    assert dirty.confidence is not None and clean.confidence is not None and dirty.confidence < clean.confidence


async def test_mostly_ungrounded_reply_is_asked_again(llm: FakeMessagesAPI) -> None:
    llm.script(["ungrounded", "ok"])
    result = await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert result.attempts == 2 and "not in the transcript" in llm.recorded_bodies[-1]["messages"][-1]["content"]


async def test_retry_after_is_honoured_but_capped(llm: FakeMessagesAPI) -> None:
    provider = AnthropicProvider(MODEL, max_retry_after=0.3)
    llm.script(["429:3600"])
    started = time.monotonic()
    result = await MeddpicAgent(provider).process(_transcript(), _prompt())
    waited = time.monotonic() - started
    assert result.status == "completed" and _calls(llm) == 2
    assert 0.25 <= waited < 30, "a one-hour retry-after must be capped, a short one obeyed"


async def test_401_is_permanent_and_not_retried(llm: FakeMessagesAPI, caplog: pytest.LogCaptureFixture) -> None:
    llm.script(["401"])
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentAgentError) as info:
        await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert _calls(llm) == 1 and "401" in str(info.value)
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value.errors)
    assert API_KEY not in caplog.text


async def test_overload_that_outlives_the_sdk_is_retryable(llm: FakeMessagesAPI) -> None:
    llm.script(["529:0.01"] * (SDK_MAX_RETRIES + 1))
    with pytest.raises(RetryableAgentError):
        await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert _calls(llm) == SDK_MAX_RETRIES + 1


async def test_spend_limit_is_permanent(llm: FakeMessagesAPI) -> None:
    llm.script(["spend_limit"])
    with pytest.raises(PermanentAgentError, match="spend limit"):
        await MeddpicAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt())
    assert _calls(llm) == 1


async def test_hung_call_times_out_as_retryable(llm: FakeMessagesAPI) -> None:
    llm.hang_seconds = 5
    llm.script(["hang"])
    provider = AnthropicProvider(MODEL, max_retries=0, timeout=0.5)
    with pytest.raises(RetryableAgentError, match="timed out"):
        await MeddpicAgent(provider).process(_transcript(), _prompt())


async def test_no_secret_or_transcript_text_in_the_result(llm: FakeMessagesAPI) -> None:
    result = await StakeholderAgent(AnthropicProvider(MODEL)).process(_transcript(), _prompt("stakeholder"))
    dumped = result.model_dump_json()
    assert API_KEY not in dumped and _transcript().content not in dumped
    assert (await StakeholderAgent(AnthropicProvider(MODEL)).health_check()).ok is True
