"""Custom ids: `{tag}-{transcript id}-{agent code}-{input hash prefix}`, within ^[a-zA-Z0-9_-]{1,64}$.

The tag (10 hex digits) names the batch intent in our database; it is in every custom_id because the
API keeps no metadata on a batch, so a batch created but not recorded is recognised by its results.
The hash prefix (96 bits) ties the request to its input; the item row holds the full hash."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from lib.models import AgentType

AGENT_CODES: dict[AgentType, str] = {"meddpic": "m", "stakeholder": "s"}
_AGENTS = {code: agent for agent, code in AGENT_CODES.items()}
HASH_CHARS = 24
_PATTERN = re.compile(r"^(?P<tag>[0-9a-f]{10})-(?P<tid>\d{1,19})-(?P<agent>[a-z])-(?P<hash>[0-9a-f]{24})$")
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass(frozen=True)
class RequestId:
    tag: str
    transcript_id: int
    agent_type: AgentType
    hash_prefix: str


def new_tag() -> str:
    return uuid.uuid4().hex[:10]


def custom_id(tag: str, transcript_id: int, agent_type: AgentType, input_hash: str) -> str:
    return f"{tag}-{transcript_id}-{AGENT_CODES[agent_type]}-{input_hash[:HASH_CHARS]}"


def parse_custom_id(value: str) -> RequestId | None:
    """The parts of one of our custom ids; None for anything else (another tool's batch)."""
    match = _PATTERN.match(value)
    if match is None or match.group("agent") not in _AGENTS:
        return None
    return RequestId(match.group("tag"), int(match.group("tid")), _AGENTS[match.group("agent")],
                     match.group("hash"))
