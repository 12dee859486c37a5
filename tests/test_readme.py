"""The docs show what `make demo` really prints (regenerate with `make readme`): in full in
docs/getting-started.md, the deal in docs/deals.md, an excerpt in the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lib.settings import DEFAULT_MODEL
from tools.readme_demo import (
    DEALS_PAGE,
    END,
    GETTING_STARTED,
    README,
    SHOWN_DATA,
    block,
    current_block,
    current_deals_block,
    current_excerpt,
    deal_part,
    deals_block,
    deals_differences,
    differences,
    excerpt_block,
    excerpt_differences,
    fresh_output,
    normalise,
    rewrite,
)

DOCS = README.parent / "docs"

A = "08:13:01.244 | INFO    | Flow run 'smooth-collie' - claimed 4 transcripts on http://127.0.0.1:8357"
B = "11:02:59.001 | INFO    | Flow run 'tourmaline-jerboa' - claimed 4 transcripts on http://127.0.0.1:4242"


def test_normalising_hides_times_names_and_ports_but_not_dates_or_counts() -> None:
    assert normalise(A) == normalise(B)
    assert normalise(A) != normalise(A.replace("claimed 4", "claimed 5"))
    scorecard = "─── #1 acme-freight-1-discovery (vtt, 32 turns, 2025-09-09) ───"
    assert normalise(scorecard) != normalise(scorecard.replace("2025-09-09", "2026-12-01"))


def test_the_docs_have_one_generated_demo_block_and_the_readme_its_excerpt() -> None:
    demo = current_block(GETTING_STARTED.read_text())
    assert demo.count("$ make demo") == 1 and "1. database" in demo
    output = demo.split("$ make demo\n", 1)[1].rsplit("```", 1)[0]
    assert normalise(current_excerpt(README.read_text())) == normalise(excerpt_block(output))


@pytest.mark.slow
def test_readme_demo_output_matches_a_fresh_demo_run() -> None:
    output = fresh_output()
    fresh = block(output)
    # The samples' dates are their own, not the clone's mtimes: the same on every machine.
    assert "(vtt, 32 turns, 2025-09-09)" in fresh
    diff = (differences(GETTING_STARTED.read_text(), fresh) + deals_differences(DEALS_PAGE.read_text(), output)
            + excerpt_differences(README.read_text(), output))
    assert not diff, "the demo output in the docs is stale; run `make readme`:\n" + "\n".join(diff[:60])


def test_the_deals_example_is_the_deal_the_demo_block_shows() -> None:
    """Both come from one real run (`make readme`): the first call's date is the demo's, 2025-09-09."""
    demo, deals = current_block(GETTING_STARTED.read_text()), current_deals_block(DEALS_PAGE.read_text())
    assert normalise(deals) == normalise(deals_block(demo))
    assert "$ asmis deals ACME-2025-001\nDeal ACME-2025-001: MEDDPICC by call" in deals
    assert "09-09" in deals and "09-02" not in deals


def test_make_readme_rewrites_every_block_from_one_output_and_refuses_one_without_the_deal() -> None:
    page, deals, readme = GETTING_STARTED.read_text(), DEALS_PAGE.read_text(), README.read_text()
    demo = current_block(page)
    original = demo.split("$ make demo\n", 1)[1].rsplit("```", 1)[0]
    output = original.replace("2025-09-09", "2025-09-10")
    assert "2025-09-10" in current_block(rewrite(page, output))
    assert "(2025-09-10)" in current_deals_block(rewrite(deals, output))
    assert "(2025-09-10)" in current_excerpt(rewrite(readme, output))
    assert [rewrite(rewrite(t, output), original) for t in (page, deals, readme)] == [page, deals, readme]
    from tools.readme_demo import DemoFailed

    with pytest.raises(DemoFailed, match="no rule for deal"):
        deal_part(output.split("────── deal ACME")[0])


def test_the_prefect_page_says_each_thing_once_and_no_paragraph_runs_into_a_code_block() -> None:
    assert (DOCS / "prefect.md").read_text().count("Open http://127.0.0.1:4200/deployments") == 1
    for path in [README, *sorted(DOCS.rglob("*.md"))]:
        lines = path.read_text().splitlines()
        fences = [i for i, line in enumerate(lines) if line.strip().startswith("```")]
        for opening in fences[::2]:
            before = lines[opening - 1].strip() if opening else ""
            assert before == "" or before.startswith("<!--"), f"{path.name} line {opening}: {before!r} runs into a code block"


def test_getting_started_says_which_database_path_a_root_run_prints() -> None:
    page = GETTING_STARTED.read_text()
    assert SHOWN_DATA in current_block(page)
    after = page.split(END, 1)[1].strip().splitlines()[0]
    assert "non-root" in after and "/var/lib/asmis/clusters/" in after


def test_model_ids_in_the_docs_agree_with_the_default() -> None:
    text = README.read_text() + "".join(p.read_text() for p in DOCS.rglob("*.md"))
    ids = set(re.findall(r"claude-[a-z]+-\d+(?:-\d+)*", text))
    assert ids and all(i == DEFAULT_MODEL or i.startswith(DEFAULT_MODEL + "-") for i in ids), ids


def test_the_docs_say_how_to_move_the_prefect_ui_to_another_port(tmp_path: Path) -> None:
    """`prefect server start --port P` alone leaves the UI calling :4200; Prefect derives the UI's API
    address from PREFECT_SERVER_API_PORT, as the Prefect page tells."""
    readme = (DOCS / "prefect.md").read_text()
    assert "PREFECT_SERVER_API_PORT=4300 prefect server start --port 4300" in readme
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    code = "from prefect.settings import get_current_settings as s; print(s().server.ui.api_url)"
    ui_api = subprocess.run([sys.executable, "-c", code], env={**env, "PREFECT_SERVER_API_PORT": "4300",
                            "PREFECT_HOME": str(tmp_path)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert ui_api == "http://127.0.0.1:4300/api"


def test_readme_says_how_to_run_the_live_tests() -> None:
    assert "ANTHROPIC_API_KEY=sk-ant-... .venv/bin/pytest tests/live" in README.read_text()
