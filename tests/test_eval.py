"""`asmis eval`, `--compare` and the prompt gate, on labelled calls, through the real CLI: the offline
provider, and the real SDK against the fake Messages API where a prompt's wording must matter."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from typer.testing import CliRunner

from lib.agents.schemas import MeddpicAnalysis, StakeholderMap
from lib.cli.main import app
from lib.db.connect import create_pool
from lib.db.prompts import PromptRepository
from lib.evaluation.labels import EvalError, load_labels
from lib.evaluation.names import Named, mentions, person_matches
from lib.llm.offline import OfflineProvider
from lib.models import Prompt
from lib.prompt_files import PROMPTS_DIR
from lib.settings import Settings, get_settings
from lib.transcripts import parse_bytes
from tests.fake_messages_api import FakeMessagesAPI, _fenced

T = TypeVar("T")
runner = CliRunner()
SET = Path(__file__).parent / "fixtures" / "eval"
CONTRACT = {"precision", "recall", "f1", "tp", "fp", "fn", "missed"}


def eval_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["eval", *args, "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_json_names_every_label_with_its_counts_and_misses(settings: Settings) -> None:
    out = eval_json(str(SET))
    labels = out["labels"]
    assert {"economic_buyer", "champion", "people", "competitors", "metrics", "status.champion"} <= set(labels)
    for name, figures in labels.items():
        assert CONTRACT <= set(figures), name
    assert labels["economic_buyer"] | {"missed": []} == labels["economic_buyer"]
    assert (labels["economic_buyer"]["tp"], labels["economic_buyer"]["fn"]) == (1, 0)
    assert labels["competitors"]["tp"] == 2 and labels["competitors"]["recall"] == 1.0
    assert labels["metrics"]["tp"] == 2  # "eighteen percent" and "six weeks", by value
    assert labels["status.competition"]["confusion"]["missing"]["missing"] == 1
    assert out["calls"] == 2
    assert out["unparsed"] == [{"call": "notes.vtt", "problem": out["unparsed"][0]["problem"]}]
    assert out["grounded_quote_rate"] == 1.0 and out["quotes"]["kept"] > 0
    assert out["provider"] == "offline" and out["cost_usd"] == "0"
    assert out["estimate"]["agent_calls"] == 4 and float(out["estimate"]["per_transcript_usd"]) > 0
    assert out["unlabelled"] == []


def _copy_set(tmp_path: Path, labels: Mapping[str, Any]) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    for name in labels:
        if (SET / name).exists():
            shutil.copy(SET / name, folder / name)
    (folder / "labels.json").write_text(json.dumps({"calls": labels}))
    return folder


def test_people_who_are_not_in_the_calls_score_zero(settings: Settings, tmp_path: Path) -> None:
    folder = _copy_set(tmp_path, {"harlow-discovery.txt": {
        "people": [{"name": "Zora Quist", "role": "economic_buyer"}, {"name": "Yannick Broll", "role": "champion"}],
        "competitors": ["Highspot"], "metrics": ["ninety-one percent"]}})
    labels = eval_json(str(folder))["labels"]
    for name in ("economic_buyer", "champion", "competitors", "metrics"):
        assert (labels[name]["tp"], labels[name]["recall"], labels[name]["f1"]) == (0, 0.0, 0.0), name
    assert [m["item"] for m in labels["economic_buyer"]["missed"]] == ["Zora Quist"]
    assert labels["economic_buyer"]["fp"] == 1  # the map's real economic buyer is not the labelled one
    assert labels["people"]["tp"] == 0 and labels["people"]["fn"] == 2
    bad = runner.invoke(app, ["eval", str(folder), "--min-f1", "0.5"])
    assert bad.exit_code == 1 and "below --min-f1" in bad.output
    assert runner.invoke(app, ["eval", str(folder), "--min-f1", "0"]).exit_code == 0


def test_bad_labels_are_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "labels.json").write_text('{"calls": {"a.txt": {"people": [{"name": "X", "role": "ceo"}]}}}')
    with pytest.raises(EvalError, match=r"labels.json: calls.a.txt.people.0.role"):
        load_labels(tmp_path)
    (tmp_path / "labels.json").write_text('{"calls": ')
    with pytest.raises(EvalError, match="not valid JSON"):
        load_labels(tmp_path)
    result = runner.invoke(app, ["eval", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "not a directory" in result.output


def test_names_follow_the_roll_up_rules() -> None:
    assert person_matches("Marcus Lee", Named("Marcus"))
    assert person_matches("Marcus", Named("Marcus Lee"))
    assert person_matches("Lee, Marcus", Named("Dr. Marcus Lee"))
    assert not person_matches("Marcus Lee", Named("Marcus Hale"))
    assert person_matches("the CFO", Named("Karen Liu", "CFO"))  # a buyer named only by title
    assert not person_matches("the CFO", Named("Karen Liu", "VP Sales"))
    assert mentions("Marcus Lee (CFO) holds the budget.", "Marcus Lee")
    assert not mentions("Marcusson holds the budget.", "Marcus")


# --- prompt versions: the real SDK against the fake, answering from the transcript by the prompt's words


def answer(system: str, user: str, schema: Mapping[str, Any]) -> Any:
    """A good prompt gets the offline extractor's reading of the call; a BROKEN one finds nothing."""
    people = "people" in schema.get("properties", {})
    if "BROKEN" in system:
        empty = {"status": "missing", "summary": "Nothing.", "evidence": []}
        return {"people": [], "relationships": []} if people else {
            **{name: empty for name in MeddpicAnalysis.model_fields if name not in ("gaps", "next_steps")},
            "gaps": [], "next_steps": []}
    turns = [t.model_dump() for t in parse_bytes(_fenced(user).strip().encode(), name="call.txt",
                                                   max_bytes=1 << 20).turns]
    parsed = OfflineProvider().extract(StakeholderMap if people else MeddpicAnalysis, turns)
    assert parsed is not None
    return parsed.model_dump(mode="json")


@pytest.fixture
def answering(llm: FakeMessagesAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    monkeypatch.setenv("ASMIS_LLM_PROVIDER", "anthropic")
    get_settings.cache_clear()
    llm.responder = answer
    yield llm
    llm.responder = None
    get_settings.cache_clear()


def _prompt_dir(tmp_path: Path, name: str, meddpic_extra: str = "") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for path in PROMPTS_DIR.glob("*.md"):
        (folder / path.name).write_text(path.read_text() + (meddpic_extra if path.stem == "meddpic" else ""))
    return folder


def in_db(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run `work` on a pool of the test's database, outside the CLI's own event loops."""
    async def go() -> T:
        assert settings.database_url is not None
        pool = await create_pool(settings.database_url.get_secret_value(), settings)
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(go())


async def _counts(pool: asyncpg.Pool) -> tuple[int, int]:
    return (await pool.fetchval("SELECT count(*) FROM transcripts"),
            await pool.fetchval("SELECT count(*) FROM agent_results"))


def test_compare_shows_each_label_change_and_the_calls_that_flipped(
        answering: FakeMessagesAPI, settings: Settings, tmp_path: Path) -> None:
    good = _prompt_dir(tmp_path, "good")
    broken = _prompt_dir(tmp_path, "broken", "\nBROKEN: answer nothing.\n")

    async def store(pool: asyncpg.Pool) -> tuple[Prompt, Prompt]:
        repo = PromptRepository(pool)
        old, _ = await repo.activate("meddpic", (good / "meddpic.md").read_text())
        return old, await repo.store("meddpic", (broken / "meddpic.md").read_text())

    old, new = in_db(settings, store)
    result = runner.invoke(app, ["eval", str(SET), "--compare", f"meddpic={old.version},{new.version}"])
    assert result.exit_code == 0, result.output
    assert f"meddpic: {old.version} -> {new.version}" in result.output
    assert "status.champion harlow-discovery.txt: worse" in result.output
    out = eval_json(str(SET), "--compare", f"meddpic={old.version},{new.version[:8]}")
    assert out["compare"]["changes"]["status.economic_buyer"]["f1"] == -1.0
    assert out["compare"]["changes"]["people"]["f1"] == 0.0  # the stakeholder prompt did not change
    assert out["compare"]["old"]["labels"]["status.champion"]["f1"] == 1.0
    assert any(line.startswith("competitors harlow-discovery.txt: worse") for line in out["compare"]["flipped"])
    assert out["tokens"]["input"] > 0 and float(out["cost_usd"]) > 0
    assert in_db(settings, _counts) == (0, 0)  # a scratch space: nothing stored


def test_the_gate_refuses_a_broken_version_and_force_activates_it(
        answering: FakeMessagesAPI, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _prompt_dir(tmp_path, "good")
    assert runner.invoke(app, ["prompts", "sync", str(good)]).exit_code == 0
    monkeypatch.setenv("ASMIS_EVAL_SET", str(SET))
    get_settings.cache_clear()
    def active() -> Prompt | None:
        return in_db(settings, lambda pool: PromptRepository(pool).active("meddpic"))

    before = active()
    assert before is not None

    broken = _prompt_dir(tmp_path, "broken", "\nBROKEN: answer nothing.\n")
    refused = runner.invoke(app, ["prompts", "sync", str(broken)])
    assert refused.exit_code == 1, refused.output
    assert "refused: mean F1" in refused.output and "stored, not active" in refused.output
    assert "stakeholder" in refused.output and "unchanged" in refused.output
    assert active() == before
    stored = [p for p in in_db(settings, lambda pool: PromptRepository(pool).list()) if p.agent_type == "meddpic"]
    assert len(stored) == 2

    reworded = _prompt_dir(tmp_path, "reworded", "\nBe concise.\n")  # same answers: within the tolerance
    allowed = runner.invoke(app, ["prompts", "sync", str(reworded)])
    assert allowed.exit_code == 0 and "activated: mean F1" in allowed.output, allowed.output
    forced = runner.invoke(app, ["prompts", "sync", str(broken), "--force"])
    assert forced.exit_code == 0 and "activated (--force)" in forced.output, forced.output
    now = active()
    assert now is not None and "BROKEN" in now.content
    assert in_db(settings, _counts) == (0, 0)
