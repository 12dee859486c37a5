"""What a user waits for: whole `asmis` commands, timed from the shell's side, on a fresh home.

    python -m benchmarks.cli_startup              # 5 warm repeats of each command
    python -m benchmarks.cli_startup --repeat 9

In one run, on a fresh ASMIS_DATA_DIR, PREFECT_HOME and a free port:
1. the first start: the embedded PostgreSQL (initdb) while ingesting the sample calls, then the local
   Prefect server (its migrations on a new `prefect` database);
2. warm: `asmis run --force` over the sample calls against the running server, next to `asmis results`
   (imports and a database round trip: the floor for any command), and next to the old path, Prefect's
   temporary server per command (ASMIS_PREFECT_LOCAL_SERVER=false);
3. a restart of the local server on a home that has its database (the cost after a reboot).
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lib.db.embedded import EmbeddedPostgres

ROOT = Path(__file__).resolve().parents[1]
ASMIS = str(Path(sys.executable).parent / "asmis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CPU: dict[str, list[float]] = {}  # CPU seconds of the command's own process (user + system), by command


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(env: dict[str, str], *args: str) -> float:
    started, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run([ASMIS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    temporary = " (temporary server)" if env.get("ASMIS_PREFECT_LOCAL_SERVER") == "false" else ""
    CPU.setdefault(" ".join(args) + temporary, []).append(_children_cpu() - cpu)
    if result.returncode != 0:
        raise SystemExit(f"asmis {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="warm repeats of each command (median shown)")
    parser.add_argument("--no-old-path", action="store_true", help="skip the temporary-server runs (slow)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="asmis-bench-cli-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PREFECT_") and k not in ("ASMIS_DATABASE_URL", "ANTHROPIC_API_KEY")}
    env.update(ASMIS_DATA_DIR=str(root / "data"), ASMIS_CACHE_DIR=str(root / "cache"), ASMIS_LLM_PROVIDER="offline",
               ASMIS_PREFECT_PORT=str(_free_port()), ASMIS_PREFECT_LOCAL_SERVER="true",
               PREFECT_HOME=str(root / "prefect-home"))
    rows: list[tuple[str, float]] = []
    try:
        rows.append(("first start: embedded PostgreSQL + ingest of 4 calls", timed(env, "ingest", str(ROOT / "examples"))))
        rows.append(("first start: local Prefect server (fresh database)", timed(env, "server", "start")))
        # The old path: a temporary server per command, on SQLite in PREFECT_HOME (migrated by the first).
        temporary = {**env, "ASMIS_PREFECT_LOCAL_SERVER": "false",
                     "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"}
        if not args.no_old_path:
            rows.append(("first run on the old path (temporary server, fresh PREFECT_HOME)",
                         timed(temporary, "run", "--force")))
        timed(env, "run", "--force")  # warms the disk cache and the OS page cache
        warm: dict[str, list[float]] = {"run": [], "results": [], "temporary": []}
        for _ in range(args.repeat):
            warm["run"].append(timed(env, "run", "--force"))
            warm["results"].append(timed(env, "results"))
            if not args.no_old_path:
                warm["temporary"].append(timed(temporary, "run", "--force"))
        timed(env, "server", "stop")
        rows.append(("restart of the local Prefect server (database kept)", timed(env, "server", "start")))
    finally:
        subprocess.run([ASMIS, "db", "stop"], env=env, cwd=ROOT, capture_output=True, check=False)
        EmbeddedPostgres(root / "data").destroy()
        shutil.rmtree(root, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in warm.items() if values}
    print(f"asmis commands, wall clock, 4 sample calls x 2 agents, offline provider; warm: median of {args.repeat}")
    for label, seconds in rows:
        print(f"  {label:66} {seconds:6.2f} s")
    print(f"  {'warm: asmis results (imports + one database round trip)':66} {median['results']:6.2f} s")
    print(f"  {'warm: asmis run --force, local Prefect server':66} {median['run']:6.2f} s"
          f"   {median['run'] / median['results']:4.1f}x results")
    if "temporary" in median:
        print(f"  {'warm: asmis run --force, temporary server (the old path)':66} {median['temporary']:6.2f} s"
              f"   {median['temporary'] / median['results']:4.1f}x results")
    cpu_run, cpu_results = statistics.median(CPU["run --force"]), statistics.median(CPU["results"])
    print(f"  CPU of the command's process (less sensitive to a busy machine than wall time): run --force "
          f"{cpu_run:.2f} s, results {cpu_results:.2f} s: {cpu_run / cpu_results:.1f}x")
    print(f"  load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
