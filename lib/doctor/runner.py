"""Run the check groups at once, each under the context's timeout, and scrub secrets from the results."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from lib.doctor.check import Check, DoctorContext, Group, fail
from lib.doctor.redact import scrub, secrets_in

log = logging.getLogger(__name__)
T = TypeVar("T")
PREPARE_TIMEOUT = 120.0  # loading libraries on a busy machine; never a network call


class _AbandoningExecutor(ThreadPoolExecutor):  # asyncio wants this class; none of its pool is used
    """Each call on a daemon thread of its own, never waited for at shutdown: a check that timed out
    inside a blocking library call (fsspec, a CRM SDK) must not hold the command open after it answered."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=work, name="asmis-doctor-probe", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        return None


def run_doctor(ctx: DoctorContext, groups: Sequence[Group]) -> list[Check]:
    """run_checks on an event loop of its own whose worker threads are abandoned, not joined, at the end."""
    with asyncio.Runner() as runner:
        runner.get_loop().set_default_executor(_AbandoningExecutor())
        return runner.run(run_checks(ctx, groups))


async def run_checks(ctx: DoctorContext, groups: Sequence[Group]) -> list[Check]:
    """Every group's checks, in the order of `groups`, whatever order they finish in."""
    found = await asyncio.gather(*(_guarded(ctx, group) for group in groups))
    return scrubbed([c for checks in found for c in checks], ctx.environ)


def scrubbed(checks: Sequence[Check], environ: Mapping[str, str]) -> list[Check]:
    """The checks with every secret of `environ` taken out of what they say."""
    secrets = secrets_in(environ)
    return [replace(c, detail=scrub(c.detail, secrets), fix=scrub(c.fix, secrets)) for c in checks]


async def _guarded(ctx: DoctorContext, group: Group) -> list[Check]:
    try:
        if group.prepare is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(group.prepare, ctx), PREPARE_TIMEOUT)
            except TimeoutError:
                return [fail(group.name, f"could not load what the check needs within {PREPARE_TIMEOUT:g}s",
                             "retry when the machine is less busy")]
        try:
            return await asyncio.wait_for(group.run(ctx), ctx.timeout)
        except TimeoutError:
            return [fail(group.name, f"no answer within {ctx.timeout:g}s", group.on_timeout)]
    except Exception as exc:  # a check that breaks is a finding, never a traceback that hides the others
        log.debug("doctor check raised", extra={"group": group.name}, exc_info=True)
        return [fail(group.name, f"the check itself failed: {type(exc).__name__}: {str(exc)[:200]}",
                     "run with a debugger or report it: this is a bug in the check")]


def failed(checks: Sequence[Check]) -> bool:
    return any(c.status == "fail" for c in checks)
