"""`asmis server start | stop | url`: the local Prefect server, registered on the `asmis` app."""

from __future__ import annotations

import typer

from lib.cli.app import app, cli_errors, console
from lib.prefect_local.target import local_server, start_local_server, user_api_url
from lib.settings import get_settings

server_app = typer.Typer(help="The local Prefect server (UI and API on 127.0.0.1) that flow commands use.",
                         no_args_is_help=True)
app.add_typer(server_app, name="server")


def _note_user_api_url() -> None:
    if (url := user_api_url()) is not None:
        console.print(f"note: PREFECT_API_URL is set: flow commands use {url}, not this server",
                      highlight=False, soft_wrap=True)


@server_app.command("start")
@cli_errors
def server_start() -> None:
    """Start the local Prefect server (it keeps running until `server stop` or `db stop`)."""
    settings = get_settings()
    server = local_server(settings)
    record = server.running()
    was_running = record is not None and server.healthy(record)
    api_url = start_local_server(settings)
    ui_url = api_url.removesuffix("/api")
    console.print(f"{'already running' if was_running else 'started'}: UI {ui_url}  API {api_url}",
                  highlight=False, soft_wrap=True)
    _note_user_api_url()


@server_app.command("stop")
@cli_errors
def server_stop() -> None:
    """Stop the local Prefect server."""
    stopped = local_server(get_settings()).stop()
    console.print("stopped" if stopped else "not running")


@server_app.command("url")
@cli_errors
def server_url() -> None:
    """Print the Prefect API URL flow commands use: PREFECT_API_URL if set, else the local server's
    (started if needed). `export PREFECT_API_URL=$(asmis server url)` points the prefect CLI at it."""
    url = user_api_url() or start_local_server(get_settings())
    typer.echo(url)
