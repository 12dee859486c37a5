"""The input hash: the cache key and the result's identity in Postgres. Nothing run-specific."""

from __future__ import annotations

import hashlib
import json


def input_hash(*, agent_type: str, prompt_sha256: str, model: str, schema_version: str,
               transcript_sha256: str) -> str:
    """sha256 over a canonical JSON encoding, so no field can bleed into its neighbour."""
    canonical = json.dumps(
        {"agent": agent_type, "prompt": prompt_sha256, "model": model, "schema": schema_version,
         "transcript": transcript_sha256, "v": 1},
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
