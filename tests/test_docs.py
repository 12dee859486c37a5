"""The docs: the README a front door, the generated reference pages current, every page reachable from the
site's navigation, every README link alive, and no page about how the project was made."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Words about how the project was made rather than what it does.
HISTORY = re.compile(r"\bissue \d+|\bissue-\d+|\bhelper sessions?\b|\b(this|next|same|last) session\b|"
                     r"\bround [0-9]\b|DESIGN\.md", re.I)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def test_the_readme_is_a_front_door_of_at_most_250_lines() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_generated_reference_page_is_current() -> None:
    # A process of its own, with a plain environment: what other tests set in this one (settings, widths)
    # must not leak into the pages, which `make docs` also writes from a fresh process.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    out = subprocess.run([sys.executable, "-m", "tools.docs_reference", "--check"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_no_document_speaks_of_how_it_was_made() -> None:
    found = [f"{p.relative_to(ROOT)}:{n}: {m.group(0)}" for p in documents()
             for n, line in enumerate(p.read_text().splitlines(), 1) if (m := HISTORY.search(line))]
    assert found == []


def test_every_page_is_in_the_navigation_and_every_navigation_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def entries(nav: list[object]) -> list[str]:
        out: list[str] = []
        for item in nav:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            out += entries(value) if isinstance(value, list) else [str(value)]
        return out

    listed = sorted(entries(config["nav"]))
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert listed == pages


def test_every_link_in_the_readme_names_a_file_that_exists() -> None:
    links = re.findall(r"\]\(([^)#\s]+)", (ROOT / "README.md").read_text())
    local = [link for link in links if "://" not in link]
    assert local and [link for link in local if not (ROOT / link).exists()] == []
