"""Errors as RFC 9457 problem documents (`application/problem+json`), and the two ASGI guards around the
app: a body-size limit, and a last catch that answers 500 without a traceback in the response or the log."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lib.errors import DatabaseError, EmbeddedDatabaseError, RetryableDatabaseError

log = logging.getLogger("asmis.api")
PROBLEM_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5
_TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
           409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Invalid request",
           500: "Internal error", 503: "Service unavailable"}


class Problem(Exception):
    """An error answered as a problem document."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra
        super().__init__(detail)


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_TYPE)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """`query parameter limit`, `body field agent_type`: the parameter, not pydantic's path."""
    kind, *rest = [str(p) for p in loc] or ["request"]
    names = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body field"}
    return f"{names.get(kind, kind)} {'.'.join(rest)}".strip() if rest else names.get(kind, kind)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"parameter": _where(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(DatabaseError)
    async def _database(request: Request, exc: DatabaseError) -> JSONResponse:
        return _database_problem(exc)

    @app.exception_handler(EmbeddedDatabaseError)
    async def _embedded(request: Request, exc: EmbeddedDatabaseError) -> JSONResponse:
        return _database_problem(exc)


def _database_problem(exc: Exception) -> JSONResponse:
    """The database is down or refused: 503 to retry for a passing cause, 500 otherwise; the driver's
    message (it may quote SQL or values) stays out of the response and the log."""
    operation = getattr(exc, "details", {}).get("operation", "database call")
    log.warning("database error in %s: %s", operation, type(exc).__name__)
    if isinstance(exc, RetryableDatabaseError | EmbeddedDatabaseError) or not isinstance(exc, DatabaseError):
        return problem_response(503, "the database is unavailable; try again shortly",
                                {"Retry-After": str(RETRY_AFTER_SECONDS)})
    return problem_response(500, f"the database refused the {operation}")


class Guard:
    """Outermost ASGI layer (inside Starlette's own error middleware): refuses bodies over the limit with
    413, and turns any exception no handler took into a plain 500 problem, logged by type only (no
    traceback: it could carry SQL text or transcript words)."""

    def __init__(self, app: ASGIApp, max_body: int, limits: dict[str, int] | None = None) -> None:
        self.app, self.max_body, self.limits = app, max_body, limits or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.max_body)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await problem_response(413, f"the body is over {limit // 1024} KB")(scope, receive, send)
            return
        if scope["method"] in ("POST", "PUT", "PATCH"):  # read the body first: a chunked one has no length
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if len(body) > limit:
                    await problem_response(413, f"the body is over {limit // 1024} KB")(scope, receive, send)
                    return
                if not message.get("more_body", False):
                    break
            receive = _replay(bytes(body), receive)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:  # noqa: BLE001 - the last catch: one line, no traceback
            log.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if not started:
                await problem_response(500, "internal error")(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replayed
