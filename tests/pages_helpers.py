"""What the page tests share: a database of their own (the three-call deal, one person put on the other
side by one call, 60 more deals around it, a CRM push ledger row, two keys), a signed-in client, and a
small HTML tree (the standard library's parser) to look at pages as a reader would."""

from __future__ import annotations

import copy
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from lib.db.api_keys import ApiKeyRepository
from lib.db.connect import create_pool
from lib.deals.refresh import refresh_deals
from lib.settings import Settings
from tests.api_server import ApiServer
from tests.conftest import TEMPLATE, with_database
from tests.test_deals import DEAL, active_prompts, ingest_deal, store_results, stored_data

SWITCHER = "Marcus Hale"  # a buyer on the demo, put on the seller side by the discovery call
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Seeded:
    url: str
    database: str
    settings: Settings
    ids: dict[str, int]
    read_key: str
    write_key: str
    other_deals: list[str]


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                        (child.attrs.get(k.rstrip("_")) or "").split().__contains__(v) if k == "class_"
                        else child.attrs.get(k) == v for k, v in attrs.items()):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def by_id(self, element_id: str) -> Node | None:
        found = self.find_all(id=element_id)
        return found[0] if found else None


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.at = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.at
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.at = node.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    return tree.root


async def seed(server_dsn: str, home: Path) -> tuple[Seeded, asyncpg.Pool]:
    name = f"asmis_pages_{os.getpid()}_{home.name[-6:].replace('-', '_')}"
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    await conn.close()
    url = with_database(server_dsn, name)
    settings = Settings(database_url=url, data_dir=home / "data", cache_dir=home / "cache")
    pool = await create_pool(url, settings)
    ids = await ingest_deal(pool, settings)
    data = stored_data()
    discovery = copy.deepcopy(data["01-discovery.vtt"])
    for person in discovery["stakeholder"]["people"]:
        if person["name"] == SWITCHER:
            person["side"] = "seller"
    data["01-discovery.vtt"] = discovery
    await store_results(pool, ids, data, await active_prompts(pool))
    await refresh_deals(pool, [DEAL], settings, now=datetime(2025, 4, 30, tzinfo=UTC))
    rollup = await pool.fetchval("SELECT rollup FROM deals WHERE deal_id = $1", DEAL)
    others = [f"OPP-OTHER-{i:03d}" for i in range(60)]
    around = datetime(2025, 3, 25, 15, tzinfo=UTC)
    await pool.executemany(
        "INSERT INTO deals (deal_id, rollup, calls, last_call_at) VALUES ($1, $2, 3, $3)",
        [(d, {**rollup, "deal_id": d, "warnings": [], "stakeholders": [{**rollup["stakeholders"][0], "name": f"Pat Other {i}"}]},
          around + timedelta(days=i - 30, hours=1)) for i, d in enumerate(others)])
    push = await pool.fetchval("INSERT INTO crm_pushes (crm) VALUES ('salesforce') RETURNING id")
    await pool.execute("INSERT INTO crm_writes (crm, record_id, field, value, state, push_id, deal_id, confirmed_at)"
                       " VALUES ('salesforce', '006X', 'MEDDPICC_Score__c', '5', 'confirmed', $1, $2,"
                       " timestamptz '2025-04-01 09:00+00')", push, DEAL)
    keys = ApiKeyRepository(pool)
    read_key, write_key = await keys.create("manager", "read"), await keys.create("ops", "write")
    return Seeded(url, name, settings, ids, read_key, write_key, others), pool


async def drop(server_dsn: str, seeded: Seeded, pool: asyncpg.Pool) -> None:
    await pool.close()
    conn = await asyncpg.connect(server_dsn)
    await conn.execute(f"DROP DATABASE IF EXISTS {seeded.database} WITH (FORCE)")
    await conn.close()


async def seeded_database(server_dsn: str, home: Path) -> AsyncIterator[tuple[Seeded, asyncpg.Pool]]:
    seeded, pool = await seed(server_dsn, home)
    try:
        yield seeded, pool
    finally:
        await drop(server_dsn, seeded, pool)


@contextmanager
def signed_in(server: ApiServer, key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, follow_redirects=False) as client:
        answer = client.post("/sign-in", data={"key": key, "next": "/"})
        assert answer.status_code == 303, answer.text
        yield client


def get_page(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> Node:
    answer = client.get(path, params=params)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    assert answer.headers["content-type"].startswith("text/html")
    return parse(answer.text)
