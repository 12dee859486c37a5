"""A deterministic, no-network extractor that fills the agents' output models from rules: the default
provider when no API key is set."""

from __future__ import annotations

from lib.llm.offline.provider import DEFAULT_MODEL, OfflineProvider

__all__ = ["DEFAULT_MODEL", "OfflineProvider"]
