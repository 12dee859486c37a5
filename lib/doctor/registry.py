"""The groups of checks `asmis doctor` runs, in the order it prints them."""

from __future__ import annotations

from lib.doctor.api import check_api
from lib.doctor.check import Group
from lib.doctor.crm import check_crm, load_crm_sdk
from lib.doctor.database import check_database, check_prompts
from lib.doctor.llm import check_llm, load_sdk
from lib.doctor.prefect_api import check_prefect
from lib.doctor.slack import check_slack
from lib.doctor.sources import check_sources
from lib.doctor.storage import check_cache_dir, check_disk
from lib.doctor.webhooks import check_webhooks

GROUPS: list[Group] = [
    Group("database", check_database, "check that the database server answers (`asmis db url` names it)"),
    Group("prompts", check_prompts, "check that the database server answers"),
    Group("llm", check_llm, "check the network to the LLM provider (ASMIS_LLM_PROVIDER's endpoint)", load_sdk),
    Group("prefect", check_prefect, "check that the Prefect API answers: `curl <PREFECT_API_URL>/health`"),
    Group("sources", check_sources, "check the network to the sources in ASMIS_SOURCES (`asmis sources`)"),
    Group("crm", check_crm, "check the network to the CRM (`asmis crm check`)", load_crm_sdk),
    Group("slack", check_slack, "check the network to Slack"),
    Group("api", check_api, "check that the API answers: `curl <ASMIS_API_URL>/v1/health`"),
    Group("webhooks", check_webhooks, "check that the public URL answers: `curl <ASMIS_API_PUBLIC_URL>/v1/health`"),
    Group("cache dir", check_cache_dir, "check the filesystem of ASMIS_CACHE_DIR"),
    Group("disk", check_disk, "check the filesystem the database uses"),
]
