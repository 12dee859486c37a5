"""The README's pictures of the pages (`make screenshots`, i.e. `python -m tools.screenshots`): the real
`asmis demo` on a fresh data dir, then `asmis api serve` over its database, a read key, and headless
Chromium (Debian's `chromium` and `chromium-driver`) signing in and photographing the deal board and the
demo deal at 1280 px into docs/img/board.png and docs/img/deal.png."""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "img"
DEMO_DEAL = "ACME-2025-001"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def chrome(width: int = 1280, height: int = 900) -> Any:
    """Headless Chromium through its driver, console messages kept for `get_log("browser")`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def sign_in(driver: Any, base: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(base + "/sign-in")
    driver.find_element(By.ID, "key").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button").click()
    WebDriverWait(driver, 15).until(lambda d: "/sign-in" not in d.current_url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(asmis: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([str(asmis), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"asmis {' '.join(args)} exited with {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="Folder for board.png and deal.png.")
    args = parser.parse_args()
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        raise SystemExit("screenshots need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver")
    from lib.db.embedded import EmbeddedPostgres

    work = Path(tempfile.mkdtemp(prefix="asmis-screenshots-"))
    data = work / "data"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work / "home"), "LANG": "C.UTF-8", "COLUMNS": "80",
           "ASMIS_DATA_DIR": str(data), "ASMIS_CACHE_DIR": str(work / "cache"), "PREFECT_HOME": str(work / "prefect"),
           "PYTHONPATH": str(REPO)}  # this checkout's code, whichever checkout the venv was installed from
    asmis = Path(sys.executable).parent / "asmis"
    server = None
    try:
        print("running asmis demo on a fresh data dir (about a minute)", flush=True)
        _run(asmis, env, "demo")
        key = _run(asmis, env, "api", "keys", "create", "screenshots", "--scope", "read").strip().splitlines()[-1]
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(asmis), "api", "serve", "--port", str(port)], env=env, cwd=REPO,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/v1/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("asmis api serve did not become ready")
            time.sleep(0.2)
        args.out.mkdir(parents=True, exist_ok=True)
        driver = chrome(1280, 860)
        try:
            sign_in(driver, base, key)
            for name, path in (("board", "/"), ("deal", f"/deals/{DEMO_DEAL}")):
                driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
                driver.get(base + path)
                height = min(int(driver.execute_script("return document.documentElement.scrollHeight")) + 16, 860)
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # no blank space under a short page
                                       {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
                driver.save_screenshot(str(args.out / f"{name}.png"))
                print(f"wrote {(args.out / f'{name}.png').relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}"
                      f" ({(args.out / f'{name}.png').stat().st_size // 1024} KB)")
        finally:
            driver.quit()
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)
        subprocess.run([str(asmis), "server", "stop"], env=env, cwd=REPO, capture_output=True, timeout=120, check=False)
        EmbeddedPostgres(data).destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
