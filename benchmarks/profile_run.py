"""Where the CPU of a run goes: cProfile over our lib (no Prefect) or the whole flow, on the benchmark's setup.

    python -m benchmarks.profile_run --side lib --transcripts 300 --latency-ms 200 --jitter-ms 100
    python -m benchmarks.profile_run --side flow --top 40

Prints the top functions by own time and by cumulative time (cProfile sees this thread only: Prefect's
worker threads are not in it, the event loop is). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
from pathlib import Path

from benchmarks.pipeline import (
    ROOT,
    bench_setup,
    forget_results,
    fresh_process_pacers,
    run_lib,
    run_ours,
    seed,
)


def package_of(filename: str) -> str:
    """site-packages/<pkg>/..., the checkout's top folder, or the standard library's module."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(ROOT)):
        parts = Path(filename).relative_to(ROOT).parts
        return "/".join(parts[:2]) if parts[0] == "lib" else parts[0]
    if filename.startswith("<") or filename == "~":
        return "builtins (C: sockets, json, hashing, ...)"
    return "stdlib:" + Path(filename).stem


def print_by_package(stats: pstats.Stats) -> None:
    """Own time summed by package: a flat flame summary."""
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        key = package_of(filename)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values())
    print(f"own CPU time by package ({whole:.2f} s in this thread):")
    for key, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:25]:
        print(f"  {key:48} {seconds:7.2f} s {seconds / whole:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", choices=("lib", "flow"), default="lib")
    parser.add_argument("--transcripts", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--jitter-ms", type=float, default=100)
    parser.add_argument("--cap", type=int, default=32)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", help="also write the raw profile here (for snakeviz, flameprof, ...)")
    args = parser.parse_args()
    import lib.llm.anthropic  # noqa: F401 - the SDK's import (seconds) is not what this profiles

    with bench_setup(args.latency_ms, args.cap, 0.0, args.jitter_ms) as bench:
        asyncio.run(seed(bench.dsn, args.transcripts))
        asyncio.run(forget_results(bench.dsn))
        fresh_process_pacers()
        profile = cProfile.Profile()
        if args.side == "lib":
            profile.runcall(asyncio.run, run_lib(bench.url, args.cap, 32))
        else:
            profile.runcall(asyncio.run, run_ours(bench.url, args.cap, 32, bench.prefect))
    if args.out:
        profile.dump_stats(args.out)
    stats = pstats.Stats(profile)
    print_by_package(stats)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
