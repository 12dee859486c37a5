"""One real call per provider on a sample call: run by hand with that provider's credentials, never by default.

    ASMIS_LIVE_BEDROCK=1 AWS_REGION=us-east-1 AWS_PROFILE=... ASMIS_LIVE_BEDROCK_MODEL=us.anthropic.claude-...-v1:0 \\
        .venv/bin/pytest tests/live/test_providers_live.py -v
    ASMIS_LIVE_VERTEX=1 CLOUD_ML_REGION=us-east5 ANTHROPIC_VERTEX_PROJECT_ID=... ASMIS_LIVE_VERTEX_MODEL=claude-...@... \\
        .venv/bin/pytest tests/live/test_providers_live.py -v
    OPENAI_BASE_URL=http://127.0.0.1:11434/v1 ASMIS_LIVE_OPENAI_MODEL=llama3.1:8b \\
        .venv/bin/pytest tests/live/test_providers_live.py -v

tests/conftest.py keeps this folder out of every run that does not name it; a provider whose variables are
not set skips. Cost: one MEDDPICC call on a ~3k-token call per provider (nothing on a local server)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lib.agents import MeddpicAgent
from lib.models import Prompt, Transcript
from lib.prompt_files import PROMPTS_DIR
from lib.transcripts.parse import parse_file

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme-freight-1-discovery.vtt"


def _provider(kind: str) -> Any:
    if kind == "bedrock":
        if not (os.environ.get("ASMIS_LIVE_BEDROCK") and os.environ.get("ASMIS_LIVE_BEDROCK_MODEL")):
            pytest.skip("live test: set ASMIS_LIVE_BEDROCK=1, ASMIS_LIVE_BEDROCK_MODEL and AWS credentials")
        from lib.llm.claude_platforms import BedrockProvider

        return BedrockProvider(os.environ["ASMIS_LIVE_BEDROCK_MODEL"])
    if kind == "vertex":
        if not (os.environ.get("ASMIS_LIVE_VERTEX") and os.environ.get("ASMIS_LIVE_VERTEX_MODEL")):
            pytest.skip("live test: set ASMIS_LIVE_VERTEX=1, ASMIS_LIVE_VERTEX_MODEL and Google credentials")
        from lib.llm.claude_platforms import VertexProvider

        return VertexProvider(os.environ["ASMIS_LIVE_VERTEX_MODEL"])
    if not (os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_KEY")) or not os.environ.get(
            "ASMIS_LIVE_OPENAI_MODEL"):
        pytest.skip("live test: set OPENAI_BASE_URL (or OPENAI_API_KEY) and ASMIS_LIVE_OPENAI_MODEL")
    from lib.llm.openai_compat import OpenAIProvider

    return OpenAIProvider(os.environ["ASMIS_LIVE_OPENAI_MODEL"])


@pytest.mark.parametrize("kind", ["bedrock", "vertex", "openai"])
async def test_one_real_call_validates_and_grounds(kind: str) -> None:
    provider = _provider(kind)
    parsed = parse_file(SAMPLE, max_bytes=10_000_000)
    transcript = Transcript(id=1, source="live", format=parsed.format, occurred_at=datetime.now(UTC),
                            ingested_at=datetime.now(UTC), content=parsed.content,
                            content_sha256=parsed.content_sha256, turns=[t.model_dump() for t in parsed.turns],
                            speakers=parsed.speakers)
    text = (PROMPTS_DIR / "meddpic.md").read_text()
    prompt = Prompt.model_validate({"id": 1, "agent_type": "meddpic", "version": "live", "content": text,
                                    "content_sha256": "0" * 64, "is_active": True, "source_path": None,
                                    "created_at": datetime.now(UTC)})
    assert (await provider.health_check()).ok
    result = await MeddpicAgent(provider).process(transcript, prompt)
    assert result.status == "completed" and result.llm_provider == kind and result.input_tokens > 0
    await provider.aclose()
