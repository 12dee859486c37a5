"""The nightly flow (issue 20): after processing, push-crm writes the deals whose roll-up changed and
publishes its artifact; then one Slack digest. Against the fake LLM API, a fake HubSpot and a fake Slack."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from lib.db.prompts import PromptRepository
from lib.db.transcripts import TranscriptRepository
from lib.prompt_files import sync_prompts
from lib.settings import Settings
from tests.fake_hubspot import TOKEN, FakeHubSpot
from tests.fake_messages_api import FakeMessagesAPI
from tests.fake_slack import FakeSlack
from tests.helpers import synthetic_transcript

DEALS = ["7001", "7002"]


@pytest.fixture
def outlet(flow_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeHubSpot, FakeSlack]]:
    from lib.settings import get_settings

    with FakeHubSpot() as hubspot, FakeSlack() as slack:
        for name, value in {"ASMIS_CRM": "hubspot", "ASMIS_HUBSPOT_API_URL": hubspot.url,
                            "HUBSPOT_ACCESS_TOKEN": TOKEN, "ASMIS_SLACK_WEBHOOK_URL": slack.webhook_url}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield hubspot, slack
    get_settings.cache_clear()


async def test_nightly_pushes_changed_deals_then_sends_one_digest(
        outlet: tuple[FakeHubSpot, FakeSlack], pool: asyncpg.Pool, llm: FakeMessagesAPI) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.nightly import nightly

    hubspot, slack = outlet
    for deal_id in DEALS:
        hubspot.add_deal(deal_id)
    repo = TranscriptRepository(pool)
    for i, deal_id in enumerate([*DEALS, DEALS[0]]):
        await repo.add(synthetic_transcript(300 + i).model_copy(update={"deal_id": deal_id}))
    await sync_prompts(PromptRepository(pool))

    summary = await nightly()
    assert summary.completed == 6
    for deal_id in DEALS:
        assert hubspot.deals[deal_id]["meddpicc_score"] not in (None, "")
        assert hubspot.deals[deal_id]["meddpicc_updated_at"]
    writes = await pool.fetchval("SELECT count(*) FROM crm_writes WHERE state = 'confirmed'")
    assert writes == 2 * 11
    [message] = slack.messages
    assert all(deal_id in message["text"] for deal_id in DEALS)
    async with get_client() as client:
        artifacts = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["crm-push"])))
    latest = max(artifacts, key=lambda a: a.created or 0)
    assert "| 7001 | written | meddpicc_metrics" in str(latest.data)
    assert "DO-NOT-LEAK" not in str(latest.data)

    again = await nightly()  # nothing new: no deal changed, nothing written, nothing sent
    assert again.claimed == 0
    assert await pool.fetchval("SELECT count(*) FROM crm_writes") == writes
    assert len(hubspot.calls("POST", "/batch/update")) == 1 and len(slack.messages) == 1
    assert uuid.UUID(summary.run_id)


async def test_a_crm_that_refuses_fails_the_night_after_the_digest_went_out(
        outlet: tuple[FakeHubSpot, FakeSlack], pool: asyncpg.Pool, llm: FakeMessagesAPI,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.nightly import nightly
    from lib.errors import CrmAuthError
    from lib.settings import get_settings

    hubspot, slack = outlet
    hubspot.add_deal(DEALS[0])
    await TranscriptRepository(pool).add(synthetic_transcript(400).model_copy(update={"deal_id": DEALS[0]}))
    await sync_prompts(PromptRepository(pool))
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-WRONG")
    get_settings.cache_clear()
    with pytest.raises(CrmAuthError, match="hubspot refused the credentials"):
        await nightly()
    [message] = slack.messages
    assert DEALS[0] in message["text"]
    assert await pool.fetchval("SELECT count(*) FROM agent_results WHERE status = 'completed'") == 2
