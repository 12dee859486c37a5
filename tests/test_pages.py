"""The pages through a real uvicorn server (`asmis api serve` in its own process) on a real PostgreSQL:
sign-in and its cookie, redirects without a session, and each page read as a person would read it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from lib.db.api_keys import ApiKeyRepository
from lib.db.api_sessions import session_hash
from tests.api_server import ApiServer, api_server
from tests.pages_helpers import SWITCHER, Node, Seeded, get_page, parse, seeded_database, signed_in
from tests.test_deals import DEAL

PAGES = ["/", f"/deals/{DEAL}", "/prompts"]


@pytest.fixture(scope="module")
async def db(server_dsn: str, template_dsn: str, tmp_path_factory: pytest.TempPathFactory
             ) -> AsyncIterator[tuple[Seeded, asyncpg.Pool]]:
    async for seeded in seeded_database(server_dsn, tmp_path_factory.mktemp("pages-db")):
        yield seeded


@pytest.fixture(scope="module")
def seeded(db: tuple[Seeded, asyncpg.Pool]) -> Seeded:
    return db[0]


@pytest.fixture(scope="module")
def server(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with api_server(seeded.url, tmp_path_factory.mktemp("pages"), ASMIS_CRM="salesforce") as running:
        yield running


@pytest.fixture(scope="module")
def reader(server: ApiServer, seeded: Seeded) -> Iterator[httpx.Client]:
    with signed_in(server, seeded.read_key) as client:
        yield client


def all_pages(seeded: Seeded) -> list[str]:
    return [*PAGES, *(f"/calls/{i}" for i in seeded.ids.values())]


def test_without_a_session_every_page_redirects_to_the_sign_in_form(server: ApiServer, seeded: Seeded) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        for path in all_pages(seeded):
            answer = c.get(path)
            assert answer.status_code == 303, path
            location = answer.headers["location"]
            assert location.startswith("/sign-in"), location
            if path != "/":
                assert httpx.URL(location).params["next"] == path
        # a cookie with a session id this server never gave: redirected, and the cookie is cleared
        answer = c.get("/prompts", headers={"Cookie": "asmis_session=made-up"})
        assert answer.status_code == 303 and 'asmis_session=""' in answer.headers["set-cookie"]
        # the API's JSON side still answers 401 problems, not redirects
        assert c.get("/v1/deals").status_code == 401
        form = c.get("/sign-in?next=/prompts")
        assert form.status_code == 200
        assert parse(form.text).find("input", name="next").attrs["value"] == "/prompts"


def test_a_wrong_key_is_refused_and_never_echoed(server: ApiServer, seeded: Seeded) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        wrong = seeded.read_key[:-3] + "xyz"
        answer = c.post("/sign-in", data={"key": wrong, "next": "/"})
        assert answer.status_code == 401 and "unknown or revoked" in answer.text
        assert wrong not in answer.text and "set-cookie" not in answer.headers
        assert c.post("/sign-in", data={"key": ""}).status_code == 401
        # a form posted from another site is refused before the key is looked at
        forged = c.post("/sign-in", data={"key": seeded.read_key}, headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403 and "set-cookie" not in forged.headers


async def test_sign_in_sets_a_strict_http_only_cookie_of_a_session_not_the_key(
        server: ApiServer, seeded: Seeded, db: tuple[Seeded, asyncpg.Pool]) -> None:
    pool = db[1]
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        answer = c.post("/sign-in", data={"key": seeded.read_key, "next": f"/deals/{DEAL}"},
                        headers={"Origin": server.url})
        assert answer.status_code == 303 and answer.headers["location"] == f"/deals/{DEAL}"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would never come back
        session_id = re.match(r"asmis_session=([^;]+)", cookie)[1]  # type: ignore[index]
        assert session_id != seeded.read_key and seeded.read_key not in cookie
        stored = await pool.fetchval("SELECT session_sha256 FROM api_sessions WHERE session_sha256 = $1",
                                     session_hash(session_id))
        assert stored is not None and not await pool.fetchval(
            "SELECT count(*) FROM api_sessions WHERE session_sha256 = $1", session_id)
        assert c.get(f"/deals/{DEAL}").status_code == 200
        # an open redirect is not on offer
        away = c.post("/sign-in", data={"key": seeded.read_key, "next": "//evil.example/x"})
        assert away.headers["location"] == "/"
    # behind a TLS proxy (X-Forwarded-Proto from 127.0.0.1, which `asmis api serve` trusts) the cookie is Secure
    with httpx.Client(base_url=server.url, follow_redirects=False) as c:
        answer = c.post("/sign-in", data={"key": seeded.read_key}, headers={"X-Forwarded-Proto": "https"})
        assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


async def test_sign_out_and_revoking_the_key_end_the_session(server: ApiServer, seeded: Seeded,
                                                             db: tuple[Seeded, asyncpg.Pool]) -> None:
    with signed_in(server, seeded.write_key) as c:
        assert c.get("/prompts").status_code == 200
        out = c.post("/sign-out")
        assert out.status_code == 303 and out.headers["location"].startswith("/sign-in")
        assert c.get("/prompts").status_code == 303
    keys = ApiKeyRepository(db[1])
    temporary = await keys.create("temporary", "read")
    with signed_in(server, temporary) as c:
        assert c.get("/").status_code == 200
        assert await keys.revoke("temporary")
        assert c.get("/").status_code == 303


def test_every_page_has_the_csp_and_no_key(server: ApiServer, seeded: Seeded, reader: httpx.Client) -> None:
    for path in all_pages(seeded):
        answer = reader.get(path)
        assert answer.status_code == 200, path
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["cache-control"] == "no-store"
        for key in (seeded.read_key, seeded.write_key):
            assert key not in answer.text and key[:12] not in answer.text, path
        page = parse(answer.text)
        assert len(page.find_all("h1")) == 1, path
        assert page.find_all("script") == [], path
        for table in page.find_all("table"):
            assert table.find_all("caption") and table.find_all("th", scope="col"), path
    css = reader.get("/static/pages.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and "@media print" in css.text
    assert reader.get("/static/..%2Fauth.py").status_code == 404
    for key in (seeded.read_key, seeded.write_key):
        assert key not in server.log()


def board_rows(page: Node) -> dict[str, Node]:
    rows = {}
    for row in page.find("table", class_="board").find("tbody").find_all("tr"):
        deal = row.find("th").text().strip()
        assert deal not in rows, f"{deal} twice on one page"
        rows[deal] = row
    return rows


def test_the_board_lists_the_deal_once_with_its_marks_and_pages_through_every_deal(
        reader: httpx.Client, seeded: Seeded) -> None:
    seen: list[str] = []
    params: dict[str, str] = {}
    mine = None
    for _ in range(5):
        page = get_page(reader, "/", params)
        rows = board_rows(page)
        seen += rows
        mine = mine or rows.get(DEAL)
        following = page.find_all("a", rel="next")
        if not following:
            break
        params = dict(httpx.URL(following[0].attrs["href"]).params)
    assert sorted(seen) == sorted([DEAL, *seeded.other_deals]) and seen.count(DEAL) == 1
    assert seen[:2] == ["OPP-OTHER-059", "OPP-OTHER-058"]  # newest activity first
    assert mine is not None
    marks = [m.find("span", class_="vh").text().strip() for m in mine.find_all("span", class_="mark")]
    assert len(marks) == 8 and all(m in ("identified", "partial", "missing") for m in marks)
    symbols = {"identified": "●", "partial": "◐", "missing": "○"}
    for mark in mine.find_all("span", class_="mark"):
        status = mark.find("span", class_="vh").text().strip()
        assert mark.text().strip().startswith(symbols[status]) and status in mark.attrs["class"]
    text = mine.text()
    assert mine.find("a").attrs["href"] == f"/deals/{DEAL}"
    assert "side conflict" in text and "competitor named" in text and "no recent call" in text
    assert "pushed 2025-04-01" in text  # the CRM column: ASMIS_CRM is set


def test_the_board_filters_by_warning_and_searches_deals_and_people(reader: httpx.Client) -> None:
    assert list(board_rows(get_page(reader, "/", {"warning": "side_conflict"}))) == [DEAL]
    assert list(board_rows(get_page(reader, "/", {"q": "marcus"}))) == [DEAL]
    assert list(board_rows(get_page(reader, "/", {"q": "OPP-OTHER-01"}))) == [f"OPP-OTHER-01{i}" for i in range(9, -1, -1)]
    single = board_rows(get_page(reader, "/", {"warning": "single_threaded"}))
    assert DEAL not in single and len(single) == 50
    empty = get_page(reader, "/", {"q": "nobody-by-this-name"})
    assert empty.find_all("table") == [] and "No deals match" in empty.text()
    # an unknown warning or a mangled cursor shows the first page rather than an error
    assert len(board_rows(get_page(reader, "/", {"warning": "nope", "cursor": "!!"}))) == 50


def test_the_deal_page_lists_each_person_once_with_the_calls_they_were_on(reader: httpx.Client,
                                                                           seeded: Seeded) -> None:
    page = get_page(reader, f"/deals/{DEAL}")
    people = page.find("table", class_="people").find("tbody").find_all("tr")
    names = [row.find("th").text().strip() for row in people]
    assert len(names) == len(set(names)) and SWITCHER in names and "Olivia Grant" in names
    switcher = people[names.index(SWITCHER)]
    calls = [a.attrs["href"] for a in switcher.find_all("a")]
    assert calls == [f"/calls/{seeded.ids['01-discovery.vtt']}", f"/calls/{seeded.ids['02-demo.txt']}"]
    grant = people[names.index("Olivia Grant")]
    assert len(grant.find_all("a")) == 3
    warnings = page.find("ul", class_="warnings").text()
    assert "side conflict" in warnings and SWITCHER in warnings
    grid = page.find("table", class_="grid")
    headers = [a.attrs["href"] for a in grid.find("thead").find_all("a")]
    assert headers == [f"/calls/{seeded.ids[n]}" for n in ("01-discovery.vtt", "02-demo.txt", "03-pricing.json")]
    rows = grid.find("tbody").find_all("tr")
    assert [r.find("th").text().strip() for r in rows][:2] == ["metrics", "economic buyer"]
    assert all(len(r.find_all("td")) == 4 for r in rows)
    # metrics: missing on the discovery call, identified on the demo: marked as a rise
    metrics = [td.text() for td in rows[0].find_all("td")]
    assert "up from the call before" in metrics[1] and "▲" in metrics[1]
    assert page.find("h2", id="ask-h") is not None


def test_quotes_link_from_the_deal_to_their_highlight_on_the_call_and_back(reader: httpx.Client,
                                                                          seeded: Seeded) -> None:
    deal = get_page(reader, f"/deals/{DEAL}")
    links = [a.attrs["href"] for a in deal.find_all("a") if "#q-" in a.attrs.get("href", "")]
    assert links
    calls: dict[str, Node] = {}
    for link in links:
        path, anchor = link.split("#")
        calls[path] = calls.get(path) or get_page(reader, path)
        assert calls[path].by_id(anchor) is not None, link


async def test_every_highlight_on_a_call_is_a_quote_its_speaker_said(reader: httpx.Client, seeded: Seeded,
                                                                    db: tuple[Seeded, asyncpg.Pool]) -> None:
    pool = db[1]
    total = 0
    for name, call_id in seeded.ids.items():
        turns = await pool.fetchval("SELECT turns FROM transcripts WHERE id = $1", call_id)
        page = get_page(reader, f"/calls/{call_id}")
        marks = page.find_all("mark")
        total += len(marks)
        for mark in marks:
            speaker = mark.attrs["data-speaker"]
            said = [t["text"] for t in turns if t.get("speaker") == speaker]
            assert any(mark.text() in text for text in said), (name, speaker, mark.text())
            turn = mark.parent
            while turn is not None and turn.tag != "li":
                turn = turn.parent
            assert turn is not None and turn.find("span", class_="speaker").text() == speaker
            back = [a.attrs["href"][1:] for a in mark.parent.find_all("a", class_="back")]  # type: ignore[union-attr]
            assert back and all(page.by_id(b) is not None for b in back)
        for item in page.find_all("li"):
            if item.attrs.get("id", "").startswith("e-"):
                target = item.find("a").attrs["href"][1:] if item.find_all("a") else None
                assert target is None or page.by_id(target) is not None
        facts = page.find("dl", class_="facts").text()
        assert "claude-sonnet-5-5" in facts and "Cost" in facts and "Format" in facts
        sides = {s.text() for s in page.find("ol", class_="turns").find_all("span", class_="side")}
        assert sides <= {"buyer", "seller", "unknown"} and "buyer" in sides and "seller" in sides
    assert total >= 10


def test_prompts_and_not_found_pages(reader: httpx.Client) -> None:
    page = get_page(reader, "/prompts")
    for agent in ("meddpic", "stakeholder"):
        table = page.find("h2", id=f"p-{agent}").parent.find("table")  # type: ignore[union-attr]
        states = [row.find_all("td")[0].text().strip() for row in table.find("tbody").find_all("tr")]
        assert states.count("active") == 1
    missing = reader.get("/deals/NO-SUCH-DEAL")
    assert missing.status_code == 404 and "no deal NO-SUCH-DEAL" in missing.text
    assert reader.get("/calls/999999").status_code == 404


def test_pages_are_not_in_the_api_schema(reader: httpx.Client) -> None:
    paths = reader.get("/v1/openapi.json").json()["paths"]
    assert all(p.startswith("/v1/") for p in paths)


def test_templates_and_css_are_package_data() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"lib.api.pages" = ["templates/*.html", "static/*.css", "static/*.svg"]' in pyproject
