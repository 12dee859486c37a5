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

from benchmarks.pipeline import bench_setup, forget_results, fresh_process_pacers, run_lib, run_ours, seed


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
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
