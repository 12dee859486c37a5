"""Templates and the headers every page carries: a Content-Security-Policy that allows nothing but this
origin's stylesheet and images (the pages have no script), no caching of what a session shows, no referrer to other sites (same-origin: a form post then names its origin)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse, Response

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def _date(value: datetime | None, fmt: str = "%Y-%m-%d") -> str:
    return value.strftime(fmt) if value is not None else ""


def _label(value: str | None) -> str:
    return (value or "").replace("_", " ")


SYMBOL = {"identified": "●", "partial": "◐", "missing": "○"}
_ARROW = {"up": "▲", "down": "▼"}


@lru_cache(maxsize=64)
def mark(status: str | None, change: str = "") -> Markup:
    """A status as its shape, repeated in words for a screen reader (colour only repeats it): cached, as a
    board page draws 400 of them."""
    symbol = _ARROW.get(change, "") + (SYMBOL[status] if status else "·")
    words = (status or "not analysed") + (f", {change} from the call before" if change else "")
    return Markup(f'<span class="mark {escape(status or "none")}">{symbol}<span class="vh"> {escape(words)}</span></span>')


@lru_cache(maxsize=64)
def board_cell(element: str, status: str) -> Markup:
    label = escape(_label(element))
    return Markup(f'<span class="cell" title="{label}: {escape(status)}"><span class="vh">{label}:</span>'
                  f'{mark(status)}</span>')


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("lib.api.pages", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["date"] = _date
    env.filters["label"] = _label
    env.globals.update(symbol=SYMBOL, mark=mark, board_cell=board_cell)
    return env


def page(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


@lru_cache(maxsize=8)
def static_file(name: str) -> bytes | None:
    if "/" in name or name.startswith(".") or not any(name.endswith(ext) for ext in STATIC_TYPES):
        return None
    resource = files("lib.api.pages").joinpath("static", name)
    return resource.read_bytes() if resource.is_file() else None


def static_response(name: str) -> Response:
    body = static_file(name)
    if body is None:
        return Response("not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    media = next(t for ext, t in STATIC_TYPES.items() if name.endswith(ext))
    return Response(body, media_type=media, headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"})
