"""The README shows what `make demo` really prints (regenerate with `make readme`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.readme_demo import README, current_block, differences, fresh_block, normalise

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
    fresh = fresh_block()
    # The samples' dates are their own, not the clone's mtimes: the same on every machine.
    assert "(vtt, 32 turns, 2025-09-09)" in fresh
    diff = differences(README.read_text(), fresh)
    assert not diff, "README.md's demo output is stale; run `make readme`:\n" + "\n".join(diff[:60])


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
