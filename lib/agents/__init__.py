"""The agents, by agent type."""

from __future__ import annotations

from lib.agents.base import BaseAgent
from lib.agents.meddpic import MeddpicAgent
from lib.agents.stakeholder import StakeholderAgent
from lib.llm.base import LLMProvider
from lib.models import AgentType

AGENTS: dict[AgentType, type[BaseAgent]] = {"meddpic": MeddpicAgent, "stakeholder": StakeholderAgent}


def build_agent(agent_type: AgentType, provider: LLMProvider) -> BaseAgent:
    return AGENTS[agent_type](provider)


__all__ = ["AGENTS", "BaseAgent", "MeddpicAgent", "StakeholderAgent", "build_agent"]
