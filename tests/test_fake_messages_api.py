"""The fake Messages API, driven by the real anthropic SDK: if these pass, the fake speaks the SDK's dialect."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Literal
from uuid import UUID

import anthropic
import pydantic
import pytest
from pydantic import BaseModel, Field

from tests.fake_messages_api import FakeMessagesAPI, Transcript
from tests.helpers import wait_until

TRANSCRIPT = """\
[00:00:04] Dana Whitfield: Thanks for making time, we want to cut onboarding time by thirty percent this year.
[00:00:15] Marco Ruiz (VP Finance): Anything above fifty thousand dollars needs my signature and a business case.
[00:00:31] Dana Whitfield: Security review usually takes three weeks and legal joins after that.
[00:00:47] Priya Shah: We are also evaluating Gong and an in-house build, to be honest with you.
[00:01:02] Marco Ruiz: If the pilot shows the savings we can sign before the end of the quarter.
"""
SYSTEM: list[anthropic.types.TextBlockParam] = [{"type": "text", "text": "You analyse sales calls. " * 40, "cache_control": {"type": "ephemeral"}}]
MODEL = "claude-sonnet-5-5"  # the project default; the SDK warns on deprecated names


class Evidence(BaseModel):
    quote: str = Field(description="A verbatim quote.")
    speaker: str | None = Field(None, description="Who said it, as named in the transcript.")
    start_time: str | None = None


class Person(BaseModel):
    name: str
    side: Literal["buyer", "seller", "unknown"]
    influence: Literal["high", "medium", "low"]
    title: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)


class Analysis(BaseModel):
    status: Literal["identified", "partial", "missing"]
    summary: str
    people: list[Person] = Field(min_length=1, max_length=3)
    score: int = Field(ge=1, le=5)
    confidence: float = Field(ge=0, le=1)


class Formats(BaseModel):
    when: datetime
    ref: UUID
    tags: list[str] = Field(min_length=2, max_length=2)
    kind: Literal["call"]
    count: int = Field(gt=10, lt=13)
    note: str = Field(max_length=12)


def user_message(note: str = "") -> list[anthropic.types.MessageParam]:
    return [{"role": "user", "content": f"Analyse this call{note}.\n<transcript title='acme'>\n{TRANSCRIPT}</transcript>"}]


def quotes_of(analysis: Analysis) -> list[str]:
    return [e.quote for p in analysis.people for e in p.evidence]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeMessagesAPI]:
    with FakeMessagesAPI(hang_seconds=5) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeMessagesAPI) -> Iterator[FakeMessagesAPI]:
    server.reset()
    yield server
    assert server.stats().internal_errors == []


@pytest.fixture
async def client(fake: FakeMessagesAPI) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(api_key="sk-test-fake", base_url=fake.url, max_retries=2) as sdk:
        yield sdk


async def analyse(client: anthropic.AsyncAnthropic, note: str = "", **options: object) -> Analysis:
    sdk = client.with_options(**options) if options else client  # type: ignore[arg-type]
    reply = await sdk.messages.parse(model=MODEL, max_tokens=4000, system=SYSTEM, messages=user_message(note),
                                     output_format=Analysis)
    assert reply.parsed_output is not None
    return reply.parsed_output


async def test_parse_returns_an_instance_grounded_in_the_transcript(client: anthropic.AsyncAnthropic) -> None:
    speakers = {"Dana Whitfield", "Marco Ruiz", "Priya Shah"}
    analyses = [await analyse(client, f" {n}") for n in range(3)]
    for analysis in analyses:
        assert 1 <= len(analysis.people) <= 3 and 1 <= analysis.score <= 5 and 0 <= analysis.confidence <= 1
        assert analysis.summary in TRANSCRIPT
        assert {p.name for p in analysis.people} <= speakers
        for evidence in (e for p in analysis.people for e in p.evidence):
            assert evidence.quote in TRANSCRIPT and 4 <= len(evidence.quote.split()) <= 12
            line = next(line for line in TRANSCRIPT.splitlines() if evidence.quote in line)
            assert evidence.speaker is None or evidence.speaker in line  # who said that very line
            assert evidence.start_time is None or evidence.start_time in line
    assert any(quotes_of(a) for a in analyses)


async def test_the_same_request_gets_the_same_reply(client: anthropic.AsyncAnthropic) -> None:
    assert await analyse(client) == await analyse(client)
    assert await analyse(client, " again") != await analyse(client)


async def test_usage_reports_a_cache_write_then_cache_reads(client: anthropic.AsyncAnthropic) -> None:
    kwargs = {"model": MODEL, "max_tokens": 4000, "system": SYSTEM, "output_format": Analysis}
    first = await client.messages.parse(messages=user_message(" one"), **kwargs)  # type: ignore[arg-type]
    second = await client.messages.parse(messages=user_message(" two"), **kwargs)  # type: ignore[arg-type]
    cached = len(SYSTEM[0]["text"]) // 4
    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (cached, 0)
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, cached)
    assert first.usage.input_tokens > len(TRANSCRIPT) // 4 and first.usage.output_tokens > 0
    assert first.stop_reason == "end_turn" and first.model == MODEL and first.id.startswith("msg_")


async def test_the_sdk_sends_bearer_auth_and_an_output_config(fake: FakeMessagesAPI,
                                                              client: anthropic.AsyncAnthropic) -> None:
    await analyse(client)
    headers = fake.last_headers
    assert headers["authorization"] == "Bearer sk-test-fake" and "x-api-key" not in headers
    assert headers["x-stainless-helper"] == "messages.parse" and headers["anthropic-version"]
    assert headers["x-stainless-retry-count"] == "0"
    body = fake.recorded_bodies[-1]
    assert body["system"] == SYSTEM and body["model"] == MODEL and body["max_tokens"] == 4000
    schema = body["output_config"]["format"]
    assert schema["type"] == "json_schema" and schema["schema"]["additionalProperties"] is False
    # the SDK moves keywords the API does not enforce into the description
    assert "minimum: 1" in schema["schema"]["properties"]["score"]["description"]


async def test_a_wrong_api_key_gets_a_401_that_is_not_retried(fake: FakeMessagesAPI,
                                                             client: anthropic.AsyncAnthropic) -> None:
    fake.api_key = "sk-test-other"
    with pytest.raises(anthropic.AuthenticationError) as caught:
        await analyse(client)
    assert caught.value.type == "authentication_error" and caught.value.request_id
    assert fake.stats().total_requests == 1


async def test_a_429_with_retry_after_is_retried_after_that_long(fake: FakeMessagesAPI,
                                                                client: anthropic.AsyncAnthropic) -> None:
    fake.script(["429"])
    started = time.monotonic()
    await analyse(client)
    stats = fake.stats()
    assert time.monotonic() - started >= 0.95
    assert (stats.total_requests, stats.retried_requests, stats.outcomes) == (2, 1, {"429": 1, "ok": 1})
    assert fake.last_headers["x-stainless-retry-count"] == "1"


async def test_retries_run_out(fake: FakeMessagesAPI, client: anthropic.AsyncAnthropic) -> None:
    fake.script(["429:0.01", "500", "529"])
    with pytest.raises(anthropic.OverloadedError) as caught:
        await analyse(client, max_retries=2)
    assert caught.value.type == "overloaded_error" and fake.stats().total_requests == 3


@pytest.mark.parametrize(("status", "error", "kind"), [
    ("400", anthropic.BadRequestError, "invalid_request_error"),
    ("401", anthropic.AuthenticationError, "authentication_error"),
    ("403", anthropic.PermissionDeniedError, "permission_error"),
    ("404", anthropic.NotFoundError, "not_found_error"),
    ("413", anthropic.ContentTooLargeError, "request_too_large"),
    ("429", anthropic.RateLimitError, "rate_limit_error"),
    ("500", anthropic.InternalServerError, "api_error"),
    ("529", anthropic.OverloadedError, "overloaded_error"),
])
async def test_each_status_maps_to_its_sdk_error(fake: FakeMessagesAPI, client: anthropic.AsyncAnthropic,
                                                 status: str, error: type[anthropic.APIStatusError],
                                                 kind: str) -> None:
    fake.script([status])
    with pytest.raises(error) as caught:
        await analyse(client, max_retries=0)
    assert caught.value.status_code == int(status) and caught.value.type == kind
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


async def test_a_spend_limit_is_a_429_the_sdk_does_not_retry(fake: FakeMessagesAPI,
                                                             client: anthropic.AsyncAnthropic) -> None:
    fake.script(["spend_limit", "ok"])
    with pytest.raises(anthropic.RateLimitError) as caught:
        await analyse(client)
    assert caught.value.error_code == "enforced_spend_limit_reached" and fake.stats().total_requests == 1


async def test_malformed_output_fails_validation_without_a_retry(fake: FakeMessagesAPI,
                                                                client: anthropic.AsyncAnthropic) -> None:
    fake.script(["malformed"])
    with pytest.raises(pydantic.ValidationError):
        await analyse(client)
    assert fake.stats().total_requests == 1


async def test_a_truncated_reply_stops_at_max_tokens(client: anthropic.AsyncAnthropic) -> None:
    reply = await client.messages.create(model=MODEL, max_tokens=5, messages=user_message(),
                                         output_config={"format": {"type": "json_schema", "schema": {
                                             "type": "object", "properties": {"a": {"type": "string"}},
                                             "required": ["a"], "additionalProperties": False}}})
    assert reply.stop_reason == "max_tokens" and reply.usage.output_tokens == 5
    with pytest.raises(ValueError):
        json.loads(reply.content[0].text)  # type: ignore[union-attr]


async def test_ungrounded_output_validates_but_its_quotes_are_invented(fake: FakeMessagesAPI,
                                                                      client: anthropic.AsyncAnthropic) -> None:
    fake.script(["ungrounded"] * 5)
    replies = [await analyse(client, f" {n}") for n in range(5)]
    assert all(r.summary not in TRANSCRIPT for r in replies)
    quotes = [q for r in replies for q in quotes_of(r)]
    assert quotes and not any(q in TRANSCRIPT for q in quotes)


async def test_a_hang_times_the_client_out(fake: FakeMessagesAPI, client: anthropic.AsyncAnthropic) -> None:
    fake.script(["hang"])
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        await analyse(client, max_retries=0, timeout=0.3)
    assert time.monotonic() - started < fake.hang_seconds  # the client gave up before the fake would answer
    for _ in range(50):  # the fake notices the client hung up and stops counting the request
        if fake.in_flight == 0:
            break
        await asyncio.sleep(0.02)
    assert fake.in_flight == 0


async def test_a_dropped_connection_is_retried_as_a_connection_error(fake: FakeMessagesAPI,
                                                                    client: anthropic.AsyncAnthropic) -> None:
    fake.script(["disconnect"])
    with pytest.raises(anthropic.APIConnectionError):
        await analyse(client, max_retries=0)
    fake.script(["disconnect"])
    await analyse(client, max_retries=1)


async def test_concurrent_requests_are_in_flight_together(fake: FakeMessagesAPI,
                                                          client: anthropic.AsyncAnthropic) -> None:
    fake.hold()  # no reply leaves until all ten are in: in flight together by construction, not by timing
    calls = asyncio.gather(*(analyse(client, f" {n}") for n in range(10)))
    started = time.monotonic()
    all_in = await wait_until(lambda: fake.in_flight == 10, "ten in flight", seconds=30)
    # Held until the ramp is under a tenth of the time anything was in flight, so the steady middle
    # (10% to 90% of that time) is all at ten; and the last `held` seconds are all at ten.
    await asyncio.sleep(max(0.1, 10 * (all_in - started)))
    held = time.monotonic() - all_in
    stats = fake.stats()
    mean_while_held = fake.mean_in_flight(window_s=held)
    fake.release()
    await calls
    assert stats.in_flight == 10 and stats.steady_in_flight == pytest.approx(10)
    assert mean_while_held == pytest.approx(10)
    stats = fake.stats()
    assert stats.max_in_flight == 10 and stats.total_requests == 10 and stats.in_flight == 0
    assert 1 < stats.mean_in_flight < 10  # time-weighted since reset: the ramps up and down count less
    fake.reset_stats()
    for n in range(3):
        await analyse(client, f" one at a time {n}")
    assert fake.stats().steady_in_flight <= 1


async def test_random_faults_are_reproducible(fake: FakeMessagesAPI, client: anthropic.AsyncAnthropic) -> None:
    async def outcomes() -> list[str]:
        fake.faults(rate_429=0.3, rate_5xx=0.2, seed=7)
        seen = []
        for n in range(12):
            try:
                await analyse(client, f" {n}", max_retries=0)
                seen.append("ok")
            except anthropic.APIStatusError as exc:
                seen.append(str(exc.status_code))
        return seen

    first = await outcomes()
    assert await outcomes() == first and {"ok", "429"} <= set(first)


async def test_schema_keywords_and_formats_are_respected(client: anthropic.AsyncAnthropic) -> None:
    for n in range(5):
        reply = await client.messages.parse(model=MODEL, max_tokens=1000, messages=user_message(f" {n}"),
                                            output_format=Formats)
        formats = reply.parsed_output
        assert formats is not None and len(formats.tags) == 2 and 10 < formats.count < 13
        assert formats.note in TRANSCRIPT and all(tag in TRANSCRIPT for tag in formats.tags)


async def test_count_tokens_models_and_plain_text(client: anthropic.AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(model=MODEL, system=SYSTEM, messages=user_message())
    assert counted.input_tokens > (len(TRANSCRIPT) + len(SYSTEM[0]["text"])) // 4
    models = await client.models.list()
    assert MODEL in [m.id for m in models.data]
    reply = await client.messages.create(model=MODEL, max_tokens=200, messages=user_message())
    assert reply.content[0].type == "text" and reply.content[0].text


async def test_a_revoked_key_and_an_unknown_model_are_refused_as_the_api_does(
        fake: FakeMessagesAPI, client: anthropic.AsyncAnthropic) -> None:
    fake.revoked_keys = {"sk-test-fake"}
    with pytest.raises(anthropic.AuthenticationError):
        await client.messages.count_tokens(model=MODEL, messages=user_message())
    fake.revoked_keys = set()
    fake.known_models = {MODEL}
    assert (await client.messages.count_tokens(model=MODEL, messages=user_message())).input_tokens > 0
    with pytest.raises(anthropic.NotFoundError, match="claude-nonesuch-9"):
        await client.messages.count_tokens(model="claude-nonesuch-9", messages=user_message())
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.create(model="claude-nonesuch-9", max_tokens=10, messages=user_message())
    fake.clear_faults()
    assert fake.known_models is None and fake.revoked_keys == set()


def test_transcript_turns_are_found_in_common_layouts() -> None:
    transcript = Transcript("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Ann Lee>We need this live by May.</v>\n"
                            "Speaker 2: Sure, we can plan the rollout around that date.\n")
    assert transcript.speakers == ["Speaker 2", "Ann Lee"]
    plain = Transcript("no speakers here at all, just one long line of prose")
    assert plain.speakers == [] and [u.text for u in plain.utterances] == [
        "no speakers here at all, just one long line of prose"]


def test_runs_as_a_module_and_prints_its_url() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_messages_api", "--latency-ms", "1"],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        with urllib.request.urlopen(f"{url}/v1/models", timeout=5) as response:  # noqa: S310 (local fake)
            assert json.load(response)["data"]
    finally:
        process.terminate()
        process.communicate(timeout=5)
    assert process.returncode == 0
