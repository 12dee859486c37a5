"""The `llm` fixture hands every test the shared fake Messages API with every knob at its default: the
first test turns each knob, the second (run after it, on the same session fake) finds none of it."""

from __future__ import annotations

import anthropic
import pytest

from tests.conftest import API_KEY
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_ratelimit import AccountBuckets

MODEL = "claude-sonnet-5-5"
SYSTEM: list[anthropic.types.TextBlockParam] = [
    {"type": "text", "text": "You analyse sales calls. " * 20, "cache_control": {"type": "ephemeral"}}]
CALL = "Analyse this call.\n<transcript>\nDana Whitfield: We spend about forty hours a week on reports.\n</transcript>"
turned: list[str] = []  # filled by the first test, read by the second


async def ask(fake: FakeMessagesAPI) -> tuple[anthropic.types.Message, dict[str, str]]:
    """One Messages call, no SDK retries: the reply and its response headers."""
    async with anthropic.AsyncAnthropic(api_key=API_KEY, base_url=fake.url, max_retries=0, timeout=5) as client:
        raw = await client.messages.with_raw_response.create(model=MODEL, max_tokens=200, system=SYSTEM,
                                                             messages=[{"role": "user", "content": CALL}])
        return await raw.parse(), dict(raw.headers)


async def test_1_a_test_turns_every_knob_of_the_fake(llm: FakeMessagesAPI) -> None:
    await ask(llm)  # a prompt cache entry, a recorded body, a request counted
    llm.latency_ms, llm.jitter_ms, llm.hang_seconds, llm.retry_after = 900, 300, 1, 0.01
    llm.cache_min_tokens = 10**9
    llm.answer_models = {MODEL: "claude-sonnet-5-5-20990101"}
    llm.rate_limits = AccountBuckets(requests=1, window_s=600)
    llm.responder = lambda system, user, schema: None
    llm.hold(only="forty hours")
    llm.script(["529"] * 5)
    llm.faults(rate_5xx=1.0, seed=3)
    llm.batches.script(["expired"] * 5)
    llm.batches.processing_seconds = 60
    llm.batches.disconnect_next_create()
    llm.batches.refuse_next_create(500)
    llm.batches.creates = 7
    llm.api_key = "sk-ant-someone-else"  # last: from here on our key gets a 401
    with pytest.raises(anthropic.AuthenticationError):
        await ask(llm)
    turned.append("all")


async def test_2_the_next_test_finds_every_knob_at_its_default(llm: FakeMessagesAPI,
                                                               request: pytest.FixtureRequest) -> None:
    if any(item.name == test_1_a_test_turns_every_knob_of_the_fake.__name__ for item in request.session.items):
        assert turned == ["all"], "the knob-turning test did not run before this one"
    built = FakeMessagesAPI()  # not started: only its defaults are read
    assert (llm.latency_ms, llm.jitter_ms, llm.hang_seconds, llm.retry_after, llm.api_key, llm.cache_min_tokens,
            llm.answer_models, llm.rate_limits, llm.responder, llm.holding, llm.hold_only) == (
        built.latency_ms, built.jitter_ms, built.hang_seconds, built.retry_after, built.api_key,
        built.cache_min_tokens, built.answer_models, built.rate_limits, built.responder, built.holding,
        built.hold_only)
    assert (llm.batches.processing_seconds, llm.batches.creates, llm.batches.batch_ids()) == (0, 0, [])
    assert llm.stats().total_requests == 0 and llm.recorded_bodies == []
    # No script, faults, limits or held replies are left: two calls answer at once, and the first writes
    # the prompt cache again (it was forgotten), under the model asked for, with no rate-limit headers.
    (first, headers), (second, _) = await ask(llm), await ask(llm)
    assert first.model == MODEL and first.stop_reason == "end_turn"
    assert first.usage.cache_creation_input_tokens and second.usage.cache_read_input_tokens
    assert not any(name.startswith("anthropic-ratelimit") for name in headers)
    assert llm.stats().outcomes == {"ok": 2}
    async with anthropic.AsyncAnthropic(api_key=API_KEY, base_url=llm.url, max_retries=0, timeout=5) as client:
        batch = await client.messages.batches.create(requests=[{"custom_id": "one", "params": {
            "model": MODEL, "max_tokens": 200, "messages": [{"role": "user", "content": CALL}]}}])
    assert batch.processing_status in ("in_progress", "ended") and llm.batches.creates == 1
