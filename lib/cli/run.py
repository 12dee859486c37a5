"""`asmis run | backfill | serve | demo`: the commands that run flows. Flows and Prefect are imported inside
the commands, so the rest of the CLI starts without them.
A run with nothing to do answers from one SQL query and never starts the Prefect engine."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lib.cli.app import EXAMPLES_DIR, app, cli_errors, console, day, run_async
from lib.cli.demo import last_run_id, prepare_demo, show_results, summary_table
from lib.errors import AsmisError
from lib.models import AgentType
from lib.prefect_local.target import ensure_local_prefect
from lib.run.batch_mode import has_open_batches
from lib.run.estimate import ChunkReport, estimate_range, estimate_run
from lib.run.pipeline import RunParams, RunSummary
from lib.run.progress import progress_of_all
from lib.run.runtime import runtime_in_use
from lib.settings import get_settings
from lib.views.backfill import backfill_table

DOCTOR_HINT = "Next: `asmis doctor` says what in this setup works, and what to fix."
TaskBatchOption = Annotated[int | None, typer.Option(
    "--task-batch", metavar="N", min=1, max=1000, help="Transcripts per agent task (default: ASMIS_TASK_BATCH).")]
BatchApiOption = Annotated[bool, typer.Option(
    "--batch-api", help="Use the Message Batches API: half the price, results within 24 h (default: ASMIS_LLM_MODE).")]


async def _run_if_needed(params: RunParams, *, announce_server: bool = False, **mode: Any) -> RunSummary | None:
    """Check the backlog from SQL (no Prefect), then run the flow on the same runtime: one pool, one
    migration check and one plan per command. The local Prefect server is started only for work.
    `mode`: llm_mode and wait, for the flow."""
    async with runtime_in_use() as rt:
        if params.transcript_ids and (missing := await rt.transcripts.missing(params.transcript_ids)):
            raise AsmisError(f"no transcript {', '.join(f'#{i}' for i in missing)} "
                             "(`asmis results` lists the stored ones)")
        backlog = await estimate_run(rt, params)
        if backlog.calls == 0 and not await has_open_batches(rt):
            return None
        # ensure_local_prefect runs its own event loop (it may create the server's database): off this one.
        if (api_url := await asyncio.to_thread(ensure_local_prefect)) is not None and announce_server:
            console.print(f"   Prefect server {api_url.removesuffix('/api')} (`asmis server stop` ends it)",
                          highlight=False)
        calls = backlog.calls if params.limit is None else min(backlog.calls, params.limit * len(params.agents))
        return await _run_with_progress(params, calls, **mode)


async def _run_with_progress(params: RunParams, total_calls: int, **mode: Any) -> RunSummary:
    from flows.process import process_transcripts

    columns = (TextColumn("[bold]analysing"), BarColumn(), MofNCompleteColumn(), TextColumn("agent runs"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("run", total=total_calls)
        flow_run = asyncio.ensure_future(process_transcripts(**params.model_dump(), **mode))
        while not flow_run.done():
            await asyncio.wait([flow_run], timeout=0.25)
            done = sum(s.completed + s.failed for s in progress_of_all())
            # results collected from Message Batches ended since the last run come on top of the backlog
            progress.update(bar, total=max(total_calls, done), completed=done)
        summary = flow_run.result()
        done = summary.completed + summary.failed
        progress.update(bar, total=max(total_calls, done), completed=done)
    return summary


def _print_run_links(flow_run_id: str, artifacts: list[tuple[str, str, str]] | None = None) -> None:
    from deployments.run_links import print_run_links

    run_async(print_run_links(console, flow_run_id, artifacts))


@app.command()
@cli_errors
def run(
    limit: Annotated[int | None, typer.Option("--limit", metavar="N", min=1, help="Process at most N transcripts.")] = None,
    agent: Annotated[list[str] | None, typer.Option("--agent", metavar="AGENT", help="meddpic or stakeholder (repeatable).")] = None,
    transcript: Annotated[list[int] | None, typer.Option("--transcript", metavar="ID", min=1, help="Only this transcript id (repeatable).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Run again even where a result exists.")] = False,
    reprocess_stale: Annotated[bool, typer.Option("--reprocess-stale", help="Redo results of older prompts/models.")] = False,
    task_batch: TaskBatchOption = None,
    batch_api: BatchApiOption = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="With --batch-api: submit and end; a later run "
                                          "collects the results.")] = False,
    pull_first: Annotated[bool, typer.Option("--pull", help="First pull new transcripts from ASMIS_SOURCES "
                                             "(as `asmis pull`), then process.")] = False,
) -> None:
    """Run the process-transcripts flow now (the one the nightly deployment runs), with progress."""
    unknown = set(agent or []) - {"meddpic", "stakeholder"}
    if unknown:
        raise typer.BadParameter(f"unknown agent type(s): {', '.join(sorted(unknown))} (meddpic or stakeholder)",
                                 param_hint="--agent")
    get_settings()  # bad settings fail here, naming the variable, before anything starts
    source_failed = _pull_first() if pull_first else False
    agents: list[AgentType] = [a for a in ("meddpic", "stakeholder") if not agent or a in agent]
    params = RunParams(limit=limit, agents=agents, transcript_ids=transcript or None, force=force,
                       reprocess_stale=reprocess_stale, task_batch=task_batch)
    summary = run_async(_run_if_needed(params, **_mode(batch_api, no_wait)))
    if summary is None:
        console.print(_nothing_to_do(params), highlight=False)
        if source_failed:
            raise typer.Exit(1)
        return
    console.print(summary_table(summary.rows()))
    _print_run_links(summary.run_id, summary.artifacts)
    if summary.failed or source_failed:
        raise typer.Exit(1)


def _nothing_to_do(params: RunParams) -> str:
    if params.force:
        return "nothing to do: no transcript to analyse (`asmis ingest PATH` adds some)"
    ids = params.transcript_ids or []
    which = ("every transcript has its results" if not ids else f"#{ids[0]} has its results" if len(ids) == 1
             else f"#{', #'.join(str(i) for i in ids)} have their results")
    return f"nothing to do: {which} (use --force to run again)"


def _pull_first() -> bool:
    """`run --pull`: the pull's lines, then the run; True when a source could not be read."""
    from lib.cli.pull import print_pull, pull_now

    reports = pull_now(None, None)
    print_pull(reports)
    return any(not r.ok for r in reports)


def _mode(batch_api: bool, no_wait: bool) -> dict[str, Any]:
    """The flow's llm_mode and wait: --batch-api picks batch, else ASMIS_LLM_MODE decides. A provider
    without Message Batches runs interactively, and says so here (the flow logs it too)."""
    from lib.llm import batch_unavailable, provider_kind

    settings = get_settings()
    if (batch_api or settings.llm_mode == "batch") and batch_unavailable(settings):
        console.print(f"batch mode is unavailable with provider {provider_kind(settings)} (Message Batches are "
                      "an Anthropic API feature): running interactively", highlight=False)
    return {"llm_mode": "batch" if batch_api else None, "wait": not no_wait}


async def _estimate(since: date, until: date, chunk_days: int, reprocess_stale: bool) -> list[ChunkReport]:
    async with runtime_in_use() as rt:
        return await estimate_range(rt, since, until, chunk_days, reprocess_stale)


@app.command()
@cli_errors
def backfill(
    since: Annotated[datetime, typer.Option("--since", metavar="DAY", help="First day (YYYY-MM-DD), inclusive.", parser=day)],
    until: Annotated[datetime, typer.Option("--until", metavar="DAY", help="Last day (YYYY-MM-DD), exclusive.", parser=day)],
    chunk_days: Annotated[int, typer.Option("--chunk-days", metavar="DAYS", min=1, max=3660,
                                            help="Days per chunk (one subflow each).")] = 30,
    reprocess_stale: Annotated[bool, typer.Option("--reprocess-stale", help="Redo results of older prompts/models.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only estimate calls, tokens and dollars.")] = False,
    parallel: Annotated[int, typer.Option("--parallel", metavar="N", min=1, max=256, help="Chunks at once: flow runs on the work pool "
                                          "where process-transcripts is deployed, else in this process.")] = 1,
    task_batch: TaskBatchOption = None,
    batch_api: BatchApiOption = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="With --batch-api: submit every chunk and end; a "
                                          "later run collects the results.")] = False,
) -> None:
    """Process history in date chunks, oldest first; resumable (a rerun skips what is done)."""
    if until <= since:
        raise typer.BadParameter("must be after --since", param_hint="--until")
    if dry_run:  # read-only: answered from SQL without starting Prefect
        reports = run_async(_estimate(since.date(), until.date(), chunk_days, reprocess_stale))
    else:
        ensure_local_prefect()
        from flows.backfill import backfill as backfill_flow

        reports = run_async(backfill_flow(since.date(), until.date(), chunk_days=chunk_days,
                                          reprocess_stale=reprocess_stale, parallel_chunks=parallel,
                                          task_batch=task_batch, **_mode(batch_api, no_wait)))
    console.print(backfill_table(reports, dry_run=dry_run))
    if dry_run:
        interactive = sum(r.estimate.cost_usd for r in reports if r.estimate)
        batch = sum(r.estimate.batch_cost_usd for r in reports if r.estimate)
        console.print(f"USD {interactive:.2f} interactive, {batch:.2f} with --batch-api (Message Batches: half the "
                      "price, results within 24 h)", highlight=False)
    if any(r.error for r in reports):
        raise typer.Exit(1)
    if dry_run and not any(r.estimate and r.estimate.calls for r in reports):
        console.print("nothing to do: no transcript in this range still needs analysis "
                      "(--reprocess-stale counts results made with older prompts or models)")


@app.command()
@cli_errors
def serve() -> None:
    """Serve the nightly, process-transcripts, backfill and pull-transcripts deployments to the Prefect server
    (PREFECT_API_URL)."""
    ensure_local_prefect()
    from deployments.serve import serve_deployments

    console.print("serving deployments nightly, process-transcripts, backfill, pull-transcripts (Ctrl-C to stop)")
    run_async(serve_deployments(get_settings()))


@app.command()
@cli_errors
def demo() -> None:
    """Run ASMIS end to end on the embedded defaults with the sample transcripts in examples/."""
    settings = get_settings()
    ids = run_async(prepare_demo(settings, console, EXAMPLES_DIR))
    summary = run_async(_run_if_needed(RunParams(transcript_ids=ids), announce_server=True))
    if summary is None:
        console.print("   every sample already has its results (a second demo makes no LLM call)")
        run_async(show_results(settings, console, ids))
        if (run_id := run_async(last_run_id(settings, ids))) is not None:
            ensure_local_prefect()  # the UI the link opens: started again if it was stopped
            console.print("   the run that made these results:")
            _print_run_links(run_id)
    else:
        console.print(summary_table(summary.rows()))
        run_async(show_results(settings, console, ids))
        _print_run_links(summary.run_id, summary.artifacts)
    console.print(DOCTOR_HINT, highlight=False)



