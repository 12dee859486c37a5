"""The pages a sales manager opens in a browser: the deal board, a deal, a call, the prompt versions;
server-rendered with Jinja2 from the same repositories the JSON API reads, behind a sign-in with an API
key (a server-side session in an HttpOnly cookie). Plain CSS in the package; no JavaScript at all."""

from __future__ import annotations

from fastapi import FastAPI

from lib.api.pages.auth import SignInRequired, redirect_to_sign_in
from lib.api.pages.auth import router as auth_router
from lib.api.pages.routes import router as pages_router


def install_pages(app: FastAPI) -> None:
    """Mount the pages (outside /v1 and outside the OpenAPI schema) on the API app."""
    app.add_exception_handler(SignInRequired, redirect_to_sign_in)  # type: ignore[arg-type]
    app.include_router(auth_router)
    app.include_router(pages_router)
