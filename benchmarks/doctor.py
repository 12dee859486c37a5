"""`asmis doctor` figures: the whole command (a fresh process, as a user runs it) on a fresh home, then
with every network service it checks hung (sockets that accept and never answer: the database, the
Prefect API, the Anthropic API, a Gong source), at two timeouts. The point: a hung setup costs about one
timeout, not one per service, and the command never hangs.

    python -m benchmarks.doctor
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ASMIS = Path(sys.executable).parent / "asmis"


def silent_port(stack: ExitStack) -> int:
    sock = stack.enter_context(socket.socket())
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return int(sock.getsockname()[1])


def run(env: dict[str, str]) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run([str(ASMIS), "doctor"], env=env, capture_output=True, text=True, timeout=300, check=False)
    return time.perf_counter() - started, done.returncode, done.stdout.strip().splitlines()[-1]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="asmis-doctor-bench-") as root, ExitStack() as stack:
        home = Path(root)
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8",
                "ASMIS_DATA_DIR": str(home / "data"), "ASMIS_CACHE_DIR": str(home / "cache"),
                "PREFECT_HOME": str(home / "prefect")}
        seconds, code, summary = run(base)
        print(f"fresh home, nothing running      {seconds:5.2f} s  exit {code}  {summary}")
        hung = {**base, "ASMIS_DATABASE_URL": f"postgresql://asmis:pw@127.0.0.1:{silent_port(stack)}/asmis",
                "PREFECT_API_URL": f"http://127.0.0.1:{silent_port(stack)}/api",
                "ANTHROPIC_API_KEY": "sk-ant-benchmark", "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{silent_port(stack)}",
                "ASMIS_SOURCES": "gong://", "GONG_ACCESS_KEY": "k", "GONG_ACCESS_KEY_SECRET": "benchmark-secret",
                "GONG_API_BASE_URL": f"http://127.0.0.1:{silent_port(stack)}"}
        no_llm = {k: v for k, v in hung.items() if not k.startswith("ANTHROPIC_")}
        for timeout in ("5", "2"):
            seconds, code, summary = run({**no_llm, "ASMIS_DOCTOR_TIMEOUT_SECONDS": timeout})
            print(f"3 services hung, timeout {timeout} s    {seconds:5.2f} s  exit {code}  {summary}")
        for timeout in ("5", "2"):  # the Anthropic SDK's import (seconds) comes first, outside the timeout
            seconds, code, summary = run({**hung, "ASMIS_DOCTOR_TIMEOUT_SECONDS": timeout})
            print(f"+ the LLM API, timeout {timeout} s      {seconds:5.2f} s  exit {code}  {summary}")


if __name__ == "__main__":
    main()
