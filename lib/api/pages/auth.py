"""Sign-in for the pages: a form takes an API key (a read key is enough), checks it, and answers with a
cookie holding a new server-side session id (HttpOnly, SameSite=Strict, Secure when the request came over
HTTPS); the key itself is never stored in the cookie, the session table or a log. Without a live session
every page redirects to the form, remembering where the reader was going."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from lib.api.deps import PoolDep
from lib.api.pages.render import PAGE_HEADERS, page
from lib.db.api_keys import ApiKeyRepository, Caller
from lib.db.api_sessions import SESSION_TTL, SessionRepository

COOKIE = "asmis_session"
router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    def __init__(self, target: str, stale_cookie: bool) -> None:
        self.target, self.stale_cookie = target, stale_cookie
        super().__init__(target)


def safe_target(target: str | None) -> str:
    """Only a path on this site: `/deals/X?y`, never `//host` or `https://host` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    return target


async def viewer(request: Request, pool: PoolDep) -> Caller:
    """The caller behind the request's session cookie, or a redirect to the sign-in page."""
    session_id = request.cookies.get(COOKIE)
    found = await SessionRepository(pool).resolve(session_id) if session_id else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target, stale_cookie=session_id is not None)
    return found


Viewer = Annotated[Caller, Depends(viewer)]


async def redirect_to_sign_in(request: Request, exc: SignInRequired) -> Response:
    query = "" if exc.target == "/" else "?" + urlencode({"next": exc.target})
    response = RedirectResponse("/sign-in" + query, status_code=303, headers=PAGE_HEADERS)
    if exc.stale_cookie:
        _forget(response, request)
    return response


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _forget(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict")


def same_origin(request: Request) -> bool:
    """A form post from this site: the browser's Origin header (sent with every cross-site post) names it."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query's name
    return page("sign_in.html", target=safe_target(next), error=None, signed_out="signed_out" in request.query_params)


@router.post("/sign-in")
async def sign_in(request: Request, pool: PoolDep) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"), max_num_fields=4)
    target = safe_target((form.get("next") or ["/"])[0])
    key = (form.get("key") or [""])[0].strip()
    if not same_origin(request):
        return page("sign_in.html", 403, target=target, error="This form was posted from another site.",
                    signed_out=False)
    who = await ApiKeyRepository(pool).verify(key) if key else None
    if who is None:
        error = "That key is unknown or revoked." if key else "Enter an API key."
        return page("sign_in.html", 401, target=target, error=error, signed_out=False)
    session_id = await SessionRepository(pool).create(who)
    response = RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)
    response.set_cookie(COOKIE, session_id, max_age=int(SESSION_TTL.total_seconds()), path="/",
                        secure=_secure(request), httponly=True, samesite="strict")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, pool: PoolDep) -> Response:
    if not same_origin(request):
        return Response("This form was posted from another site.", status_code=403, headers=PAGE_HEADERS)
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await SessionRepository(pool).end(session_id)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303, headers=PAGE_HEADERS)
    _forget(response, request)
    return response
