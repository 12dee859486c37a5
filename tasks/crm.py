"""Push deal roll-ups to the CRM and send the Slack digest: a few lines around lib.crm and lib.digest.

The tasks return counts and a Markdown table of field names, never the values (call quotes): Prefect
keeps what tasks return and are given."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from lib.crm.push import crm_client, deals_changed_since_last_push, push_deals
from lib.crm.report import push_markdown
from lib.digest.run import run_digest
from lib.run.runtime import current_runtime
from tasks.retry import TASK_DEFAULTS


@dataclass
class PushOutcome:
    counts: dict[str, int]
    markdown: str


@task(name="push-crm-deals", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def push_crm_deals(deal_ids: list[str] | None = None, dry_run: bool = False) -> PushOutcome:
    """Push the given deals (None: those whose roll-up changed since the last push) to ASMIS_CRM."""
    rt = await current_runtime()
    client = crm_client(rt.settings)
    ids = deal_ids if deal_ids is not None else await deals_changed_since_last_push(rt.pool, client.name)
    report = await push_deals(rt.pool, rt.settings, client, ids, dry_run=dry_run, full=deal_ids is None)
    counts = {"deals": len(report.deals), "fields_written": report.fields_written, "conflicts": report.conflicts,
              "not_found": report.count("not found"), "not_written": report.count("not written")}
    return PushOutcome(counts, push_markdown(report))


@task(name="publish-crm-push", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def publish_crm_push(outcome: PushOutcome) -> None:
    """Publish the push's writes and conflicts (field names, no values) as a markdown artifact."""
    await acreate_markdown_artifact(key="crm-push", markdown=outcome.markdown,
                                    description=f"CRM push: {outcome.counts['fields_written']} field(s) written, "
                                                f"{outcome.counts['conflicts']} conflict(s)")


@task(name="send-slack-digest", cache_policy=NO_CACHE, **TASK_DEFAULTS)
async def send_slack_digest() -> int:
    """Send the Slack digest of the deals that changed; return how many it listed (0: nothing sent)."""
    rt = await current_runtime()
    outcome = await run_digest(rt.pool, rt.settings)
    return len(outcome.digest.deals) if outcome.digest and outcome.sent_to else 0
