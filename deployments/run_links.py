"""Where to look after a run: the flow run's page in the Prefect UI and the artifacts it published."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.exceptions import ObjectNotFound
from prefect.settings import get_current_settings
from prefect.utilities.urls import url_for
from rich.console import Console


async def print_run_links(console: Console, flow_run_id: str,
                          known: list[tuple[str, str, str]] | None = None) -> None:
    """Print the run's UI URL and each artifact's; nothing when the run went to Prefect's temporary
    server, which is gone by now (ASMIS_PREFECT_LOCAL_SERVER=false). `known`: the artifacts' (key,
    type, id) as the run reported them (RunSummary.artifacts), so the server is not asked again."""
    settings = get_current_settings()
    run_url = url_for("flow-run", obj_id=flow_run_id)
    if settings.api.url is None or run_url is None:
        return
    if not known:
        async with get_client() as client:
            try:  # a run an earlier, temporary server held is not on this one: no dead link
                await client.read_flow_run(UUID(flow_run_id))
            except (ObjectNotFound, ValueError):
                return
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])))
        known = [(a.key or "", a.type or "", str(a.id)) for a in artifacts]
    console.print(f"[bold]Prefect UI[/bold]  {run_url}", highlight=False, soft_wrap=True)
    for key, kind, artifact_id in sorted(known):
        console.print(f"   artifact {key or '(no key)'} ({kind}): "
                      f"{settings.ui_url}/artifacts/artifact/{artifact_id}", highlight=False, soft_wrap=True)
