"""The seller's roster (issue 29): `asmis team add | list | remove` on a real database, and ingest placing
the team's people on the seller's side whatever the file suggests."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lib.cli.main import app
from lib.settings import Settings
from lib.transcripts import parse_bytes
from lib.transcripts.sides import Team

runner = CliRunner()
CALL = ("Participants: Jamie Fox (Kora Labs), Rob Dane <rob@kora.example>\n\n"
        "Jamie Fox: Thanks for making the time, Rob.\nRob Dane: Sure, let's look at the numbers.\n"
        "Jamie Fox: The pilot price is ten thousand.\n")


def test_team_add_list_remove(settings: Settings) -> None:
    assert runner.invoke(app, ["team", "add", "Jamie  Fox", "--email", "Jamie@Vela.example"]).exit_code == 0
    again = runner.invoke(app, ["team", "add", "jamie fox"])
    assert again.exit_code == 0 and "already on the team" in again.output
    listed = runner.invoke(app, ["team", "list"])
    assert listed.output.strip() == "Jamie Fox  <jamie@vela.example>"
    assert runner.invoke(app, ["team", "remove", "Jamie Fox"]).exit_code == 0
    gone = runner.invoke(app, ["team", "remove", "Jamie Fox"])
    assert gone.exit_code == 1 and "not on the team" in gone.output
    assert "no one on the team" in runner.invoke(app, ["team", "list"]).output


def test_the_roster_and_domains_give_known_sides() -> None:
    plain = parse_bytes(CALL.encode(), name="c.txt", max_bytes=10_000)
    assert "known_sides" not in plain.metadata and "Jamie Fox" not in plain.metadata.get("sides", {})
    known = parse_bytes(CALL.encode(), name="c.txt", max_bytes=10_000, team=Team(names=("Jamie Fox",)))
    assert known.metadata["known_sides"]["Jamie Fox"] == "seller"
    by_domain = parse_bytes(CALL.encode(), name="c.txt", max_bytes=10_000, team=Team(domains=("kora.example",)))
    assert by_domain.metadata["known_sides"] == {"Rob Dane": "seller"}


def test_ingest_puts_the_rostered_rep_on_the_seller_side(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "call.txt").write_text(CALL)
    assert runner.invoke(app, ["team", "add", "Jamie Fox"]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(tmp_path / "call.txt")]).exit_code == 0
    import asyncio

    import asyncpg

    async def metadata() -> dict[str, object]:
        conn = await asyncpg.connect(settings.database_url.get_secret_value())  # type: ignore[union-attr]
        try:
            return json.loads(await conn.fetchval("SELECT metadata FROM transcripts"))
        finally:
            await conn.close()

    stored = asyncio.run(metadata())
    assert stored["known_sides"] == {"Jamie Fox": "seller"}
