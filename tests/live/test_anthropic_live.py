"""One real Messages API call per agent on a sample call: run by hand with a key, never by default.

    ANTHROPIC_API_KEY=sk-ant-... .venv/bin/pytest tests/live -v

tests/conftest.py keeps this folder out of every run that does not name it; without a key it skips.
ASMIS_MODEL picks the model (default: the settings' default). Cost: two calls on a ~3k-token call."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.agents.grounding import TranscriptIndex
from lib.intake.ingest import to_record
from lib.models import AGENT_TYPES
from lib.prompt_files import sync_prompts
from lib.run.runtime import Runtime
from lib.settings import Settings, get_settings
from lib.transcripts.parse import parse_file

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme-freight-1-discovery.vtt"
REAL_KEY = os.environ.get("ANTHROPIC_API_KEY")
pytestmark = pytest.mark.skipif(not REAL_KEY, reason="live test: set ANTHROPIC_API_KEY to run it")


@pytest.fixture
def live_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "anthropic")
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    get_settings.cache_clear()
    return get_settings()


@pytest.mark.parametrize("agent_type", AGENT_TYPES)
async def test_one_real_call_validates_grounds_and_is_costed(live_settings: Settings, agent_type: str) -> None:
    rt = await Runtime.open(live_settings)
    try:
        await sync_prompts(rt.prompts)
        record = to_record(SAMPLE, parse_file(SAMPLE, max_bytes=live_settings.ingest_max_bytes), source="live-test",
                           deal_id=None, occurred_at=None)
        transcript = await rt.transcripts.get((await rt.transcripts.add(record))[0])
        prompt = await rt.prompts.active(agent_type)  # type: ignore[arg-type]
        assert transcript is not None and prompt is not None
        result = await rt.analyser.analyse(prompt.agent_type, transcript, prompt)
        await rt.results.upsert_many([result])
    finally:
        await rt.close()
    assert result.status == "completed" and result.cache_tier is None, result.errors
    agent = rt.analyser.agents[prompt.agent_type]
    output = agent.output_model.model_validate(result.data)  # the stored reply validates
    _, report = agent.ground(output, TranscriptIndex(transcript.turns))
    assert report.offered > 0 and report.dropped == 0  # every quote kept is in the transcript
    assert not [w for w in result.warnings if "not found in the transcript" in w], result.warnings
    assert result.input_tokens > 0 and result.output_tokens > 0 and result.cost_usd > 0
    assert result.model and result.model != "offline-rules-1"
