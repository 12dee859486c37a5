"""The input hash: the cache key and the result's identity in Postgres. Nothing run-specific."""

from __future__ import annotations

import hashlib
import json

# Providers whose results existed before the provider was part of the key: their keys stay as they were,
# so results and cache entries already made are still found. Every other provider is in its keys, so a
# model id served by two providers (a LiteLLM gateway calling its model claude-sonnet-5-5) never shares one.
_KEYED_BEFORE = ("anthropic", "offline")


def input_hash(*, agent_type: str, prompt_sha256: str, model: str, schema_version: str,
               transcript_sha256: str, provider: str = "anthropic") -> str:
    """sha256 over a canonical JSON encoding, so no field can bleed into its neighbour."""
    fields: dict[str, object] = {"agent": agent_type, "prompt": prompt_sha256, "model": model,
                                 "schema": schema_version, "transcript": transcript_sha256, "v": 1}
    if provider not in _KEYED_BEFORE:
        fields["provider"] = provider
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
