"""`asmis api serve | keys create | keys list | keys revoke`: the HTTP API and its keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lib.cli.app import cli_errors, console, run_async, sub_app
from lib.db import open_database
from lib.db.api_keys import ApiKeyError, ApiKeyRepository
from lib.settings import get_settings

api_app = sub_app("api", "The HTTP API: serve it, and manage its keys.")
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", rich_markup_mode=None,
                       no_args_is_help=True)
api_app.add_typer(keys_app, name="keys")


@api_app.command("serve")
@cli_errors
def api_serve(
    host: Annotated[str, typer.Option("--host", metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API in the foreground (docs at /docs, schema at /v1/openapi.json; Ctrl-C stops it)."""
    from lib.api.serve import serve_api

    settings = get_settings()
    console.print(f"ASMIS API on http://{host}:{port}/v1 (docs: http://{host}:{port}/docs; pages for people: "
                  f"http://{host}:{port}/)", highlight=False)
    serve_api(settings, host, port)


@keys_app.command("create")
@cli_errors
def keys_create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Who or what uses the key (unique among live keys).")],
    scope: Annotated[str, typer.Option("--scope", metavar="read|write",
                                       help="read: GET endpoints; write: also prompts and runs.")] = "read",
) -> None:
    """Make a key and print it once (only its hash is stored: keep it now)."""
    if scope not in ("read", "write"):
        raise typer.BadParameter(f"{scope!r}: expected read or write", param_hint="--scope")

    async def go() -> str:
        async with open_database(get_settings()) as pool:
            return await ApiKeyRepository(pool).create(name, scope)  # type: ignore[arg-type]

    key = run_async(go())
    console.print(f"created {scope} key {name!r}; it is shown this once:", highlight=False)
    typer.echo(key)


@keys_app.command("list")
@cli_errors
def keys_list() -> None:
    """List the live keys: names, scopes, when made and last used (never the key)."""

    async def go() -> Table:
        async with open_database(get_settings(), create=False) as pool:
            keys = await ApiKeyRepository(pool).list()
        table = Table("name", "scope", "starts", "created", "last used")
        for k in keys:
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            table.add_row(k.name, k.scope, k.key_prefix + "…", f"{k.created_at:%Y-%m-%d %H:%M}", used)
        return table

    table = run_async(go())
    console.print(table if table.row_count else "no API keys: `asmis api keys create NAME` makes one")


@keys_app.command("revoke")
@cli_errors
def keys_revoke(name: Annotated[str, typer.Argument(metavar="NAME", help="The key's name.")]) -> None:
    """Revoke a key: requests with it are refused from now on."""

    async def go() -> bool:
        async with open_database(get_settings(), create=False) as pool:
            return await ApiKeyRepository(pool).revoke(name)

    if not run_async(go()):
        raise ApiKeyError(f"no live key named {name!r} (`asmis api keys list`)")
    console.print(f"revoked {name!r}", highlight=False)
