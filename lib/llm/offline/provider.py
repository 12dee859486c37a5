"""The offline provider: the same output models as the real LLM, from rules, with no network."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel

from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.llm.base import Health, LLMReply, LLMRequest, Usage

if TYPE_CHECKING:
    from lib.llm.offline.analysis import Known

# The rules (some 130 compiled patterns, ~90 ms to import) load at the first analysis, so a run whose
# results all come from the cache does not pay for them.

DEFAULT_MODEL = "offline-rules-3"  # bumped when the rules change: it is part of every cache key


class OfflineProvider:
    """Deterministic: the same transcript always gives the same reply. Ignores the prompt and re-asks."""

    name = "offline"

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model if model.startswith("offline-") else f"offline-{model}"

    async def complete(self, request: LLMRequest) -> LLMReply:
        from lib.llm.offline.analysis import known_people

        parsed = self.extract(request.output_model, request.transcript.turns,
                              known_people(request.transcript.metadata))
        if parsed is None:
            return LLMReply(text="", parsed=None, model=self.model,
                            error=f"The offline provider cannot produce {request.output_model.__name__}.")
        return LLMReply(text=parsed.model_dump_json(), parsed=parsed, error=None, usage=Usage(), model=self.model)

    def extract(self, output_model: type[BaseModel], turns: list[dict[str, object]],
                known: Known = ()) -> BaseModel | None:
        from lib.llm.offline.analysis import analyse_turns
        from lib.llm.offline.meddpic import build_meddpic
        from lib.llm.offline.stakeholders import build_stakeholder_map

        if output_model is MeddpicAnalysis:
            return build_meddpic(analyse_turns(turns, known))
        if output_model is StakeholderMap:
            return build_stakeholder_map(analyse_turns(turns, known))
        return None

    def cost(self, usage: Usage) -> Decimal:
        return Decimal("0")

    async def health_check(self) -> Health:
        return Health(True, f"offline rule-based extractor {self.model}: no network, no key")
