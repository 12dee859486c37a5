"""The console script: every command group registered on the app, and errors raised before a command's
own handler (bad settings) printed as one line."""

from __future__ import annotations

import gc

# isort: off
# Registered in the order `asmis --help` lists them (commands first, then groups, each as imported).
from lib.cli import db, prompts, ingest, results, cache, batches, server, deals, run, pull, eval, crm, digest, doctor, api, team  # noqa: F401
# isort: on
from lib.cli.app import app, print_error
from lib.errors import AsmisError


def main() -> None:
    try:
        app()
    except AsmisError as exc:
        print_error(str(exc))
        raise SystemExit(1) from None
    finally:
        # The command is over: what is left is the interpreter's teardown, whose collections walk every
        # object Prefect's modules made (seconds on a busy machine). Frozen objects are left out of them;
        # exit handlers (Prefect's drains of events and logs included) still run as usual.
        gc.freeze()
