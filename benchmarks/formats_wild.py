"""Transcripts as others write them (issue 29): turns and speakers per sample file, the parser on main
(the merge base, extracted with `git archive` and run in a subprocess) beside this checkout's, in the
same run, plus the time each takes over the samples.

    python -m benchmarks.formats_wild [--repeat 20]

The samples are ours, in tests/fixtures/wild, written in the shapes public sales-call transcripts and
speech-to-text APIs use."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WILD = ROOT / "tests" / "fixtures" / "wild"
_MEASURE = """
import json, sys, time
from pathlib import Path
from lib.errors import TranscriptError
from lib.transcripts import parse_file
out, repeat = {}, int(sys.argv[2])
started = time.perf_counter()
for _ in range(repeat):
    for path in sorted(Path(sys.argv[1]).iterdir()):
        try:
            parsed = parse_file(path, max_bytes=1_000_000)
            out[path.name] = [len(parsed.turns), len(parsed.speakers), ", ".join(parsed.speakers)[:60]]
        except TranscriptError as exc:
            out[path.name] = ["refused", "", exc.problem[:60]]
out["_seconds"] = time.perf_counter() - started
print(json.dumps(out))
"""


def measure(tree: Path, repeat: int) -> dict[str, list[object] | float]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(WILD), str(repeat)], cwd=tree, env={"PYTHONPATH": str(tree)},
                          capture_output=True, text=True, check=True)
    result: dict[str, list[object] | float] = json.loads(done.stdout)
    return result


def base_tree(into: Path) -> Path:
    base = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", base, "lib"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = measure(base_tree(Path(tmp)), args.repeat)
    new = measure(ROOT, args.repeat)
    print(f"{'file':26} {'main: turns/speakers':>22} {'now: turns/speakers':>22}  speakers now")
    for name in sorted(k for k in new if not k.startswith("_")):
        before, after = old.get(name), new[name]
        assert isinstance(before, list) and isinstance(after, list)
        was = f"{before[0]}/{before[1]}" if before[0] != "refused" else "refused"
        now = f"{after[0]}/{after[1]}" if after[0] != "refused" else "refused"
        print(f"{name:26} {was:>22} {now:>22}  {after[2]}")
    old_s, new_s = float(old["_seconds"]), float(new["_seconds"])  # type: ignore[arg-type]
    print(f"\nparse time over the samples x{args.repeat}: main {old_s * 1000:.0f} ms, now {new_s * 1000:.0f} ms "
          f"(ratio {new_s / old_s:.2f})")


if __name__ == "__main__":
    main()
