"""The README shows what `make demo` really prints (regenerate with `make readme`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lib.settings import DEFAULT_MODEL
from tools.readme_demo import (
    END,
    README,
    SHOWN_DATA,
    block,
    current_block,
    current_deals_block,
    deal_part,
    deals_block,
    deals_differences,
    differences,
    fresh_output,
    normalise,
    rewrite,
)

A = "08:13:01.244 | INFO    | Flow run 'smooth-collie' - claimed 4 transcripts on http://127.0.0.1:8357"
B = "11:02:59.001 | INFO    | Flow run 'tourmaline-jerboa' - claimed 4 transcripts on http://127.0.0.1:4242"


def test_normalising_hides_times_names_and_ports_but_not_dates_or_counts() -> None:
    assert normalise(A) == normalise(B)
    assert normalise(A) != normalise(A.replace("claimed 4", "claimed 5"))
    scorecard = "─── #1 acme-freight-1-discovery (vtt, 32 turns, 2025-09-09) ───"
    assert normalise(scorecard) != normalise(scorecard.replace("2025-09-09", "2026-12-01"))


def test_readme_has_one_generated_demo_block() -> None:
    block = current_block(README.read_text())
    assert block.count("$ make demo") == 1 and "1. database" in block


@pytest.mark.slow
def test_readme_demo_output_matches_a_fresh_demo_run() -> None:
    output = fresh_output()
    fresh = block(output)
    # The samples' dates are their own, not the clone's mtimes: the same on every machine.
    assert "(vtt, 32 turns, 2025-09-09)" in fresh
    diff = differences(README.read_text(), fresh) + deals_differences(README.read_text(), output)
    assert not diff, "README.md's demo output is stale; run `make readme`:\n" + "\n".join(diff[:60])


def test_the_deals_example_is_the_deal_the_demo_block_shows() -> None:
    """Both come from one real run (`make readme`): the first call's date is the demo's, 2025-09-09."""
    readme = README.read_text()
    demo, deals = current_block(readme), current_deals_block(readme)
    assert normalise(deals) == normalise(deals_block(demo))
    assert "$ asmis deals ACME-2025-001\nDeal ACME-2025-001: MEDDPICC by call" in deals
    assert "09-09" in deals and "09-02" not in deals


def test_make_readme_rewrites_both_blocks_from_one_output_and_refuses_one_without_the_deal() -> None:
    readme = README.read_text()
    demo = current_block(readme)
    output = demo.split("$ make demo\n", 1)[1].rsplit("```", 1)[0].replace("2025-09-09", "2025-09-10")
    rewritten = rewrite(readme, output)
    assert "2025-09-10" in current_block(rewritten) and "(2025-09-10)" in current_deals_block(rewritten)
    assert rewrite(rewritten, demo.split("$ make demo\n", 1)[1].rsplit("```", 1)[0]) == readme
    from tools.readme_demo import DemoFailed

    with pytest.raises(DemoFailed, match="no rule for deal"):
        deal_part(output.split("────── deal ACME")[0])


def test_the_prefect_section_says_each_thing_once_and_no_paragraph_runs_into_a_code_block() -> None:
    readme = README.read_text()
    assert readme.count("Open http://127.0.0.1:4200/deployments") == 1
    lines = readme.splitlines()
    fences = [i for i, line in enumerate(lines) if line.strip().startswith("```")]
    for opening in fences[::2]:
        before = lines[opening - 1].strip()
        assert before == "" or before.startswith("<!--"), f"README line {opening}: {before!r} runs into a code block"


def test_the_readme_says_which_database_path_a_root_run_prints() -> None:
    readme = README.read_text()
    assert SHOWN_DATA in current_block(readme)
    after = readme.split(END, 1)[1].strip().splitlines()[0]
    assert "non-root" in after and "/var/lib/asmis/clusters/" in after


def test_model_ids_in_the_readme_agree_with_the_default() -> None:
    ids = set(re.findall(r"claude-[a-z]+-\d+(?:-\d+)*", README.read_text()))
    assert ids and all(i == DEFAULT_MODEL or i.startswith(DEFAULT_MODEL + "-") for i in ids), ids


def test_readme_says_how_to_move_the_prefect_ui_to_another_port(tmp_path: Path) -> None:
    """`prefect server start --port P` alone leaves the UI calling :4200; Prefect derives the UI's API
    address from PREFECT_SERVER_API_PORT, as the README tells."""
    readme = README.read_text()
    assert "PREFECT_SERVER_API_PORT=4300 prefect server start --port 4300" in readme
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    code = "from prefect.settings import get_current_settings as s; print(s().server.ui.api_url)"
    ui_api = subprocess.run([sys.executable, "-c", code], env={**env, "PREFECT_SERVER_API_PORT": "4300",
                            "PREFECT_HOME": str(tmp_path)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert ui_api == "http://127.0.0.1:4300/api"


def test_readme_says_how_to_run_the_live_tests() -> None:
    assert "ANTHROPIC_API_KEY=sk-ant-... .venv/bin/pytest tests/live" in README.read_text()
