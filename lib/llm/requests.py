"""The one Messages API request both LLM modes send: interactive (`messages.parse`) and batch (a
Message Batch request's `params`). Built here only, so the two can never drift apart.

The output format is the SDK's own: `messages.parse(output_format=Model)` turns the model into
`output_config.format` with `anthropic.transform_schema` (exported by the SDK); `output_config` does
the same for a batch request, which takes plain create params.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from lib.llm.base import LLMRequest, render_transcript


def message_params(request: LLMRequest, model: str) -> dict[str, Any]:
    """model, max_tokens, the system prompt marked for prompt caching, and the messages (with any
    rejected replies and their reasons, for a re-ask). Everything but the output format."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": render_transcript(request.transcript)}]
    for retry in request.retries:
        messages += [{"role": "assistant", "content": retry.reply_text or "(empty reply)"},
                     {"role": "user", "content": f"Your answer was rejected: {retry.reason}\nAnswer again."}]
    return {
        "model": model, "max_tokens": request.max_tokens, "messages": messages,
        "system": [{"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}],
    }


def output_config(output_model: type[BaseModel]) -> dict[str, Any]:
    """`output_config` asking for replies matching the model's JSON schema, as `messages.parse` builds it."""
    return {"format": {"type": "json_schema", "schema": _schema(output_model)}}


@lru_cache(maxsize=16)
def _schema(output_model: type[BaseModel]) -> dict[str, Any]:
    """Made once per output model (thousands of batch requests share it; it is only ever serialised)."""
    from anthropic import transform_schema  # the SDK takes seconds to import: only callers of the API pay

    return transform_schema(output_model.model_json_schema())


def batch_params(request: LLMRequest, model: str) -> dict[str, Any]:
    """A Message Batch request's `params`: exactly what the interactive path sends for this request."""
    return {**message_params(request, model), "output_config": output_config(request.output_model)}
