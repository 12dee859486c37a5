"""`asmis doctor`'s webhook checks: off when nothing is set; Zoom's secret token, Gong's public key (a PEM,
RSA, as one line with \\n or several), the public URL answering /v1/health from here or not; no secret in
any line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from lib.doctor.registry import GROUPS
from lib.settings import Settings
from tests.doctor_helpers import by_name, closed_port, run_group, silent_server
from tests.fake_http import FakeServer, Reply, Request

WEBHOOKS = next(g for g in GROUPS if g.name == "webhooks")
SECRET = "zoom-webhook-secret-DO-NOT-LEAK"


class Health(FakeServer):
    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status

    def handle(self, request: Request) -> Reply:
        return Reply(self.status if request.path == "/v1/health" else 404, {"status": "ok"})


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def health(settings: Settings) -> Iterator[Health]:
    with Health() as server:
        yield server


async def test_nothing_set_is_off_and_fine(settings: Settings) -> None:
    [check] = await run_group(WEBHOOKS)
    assert check.status == "ok" and "off" in check.detail


async def test_all_set_and_reachable(health: Health, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("GONG_WEBHOOK_PUBLIC_KEY", pem(rsa.generate_private_key(65537, 2048)).replace("\n", "\\n"))
    monkeypatch.setenv("ASMIS_API_PUBLIC_URL", health.url + "/v1")
    checks = by_name(await run_group(WEBHOOKS))
    assert {n: c.status for n, c in checks.items()} == {"webhooks zoom": "ok", "webhooks gong": "ok",
                                                         "webhooks url": "ok"}, checks
    assert checks["webhooks zoom"].detail.endswith(f"{health.url}/v1/webhooks/zoom")
    assert "2048 bits" in checks["webhooks gong"].detail
    assert all(SECRET not in c.detail + c.fix for c in checks.values())


@pytest.mark.parametrize(("key", "reason"), [("not a key", "not a PEM"), ("ec", "not an RSA key")])
async def test_a_bad_gong_key_fails(health: Health, monkeypatch: pytest.MonkeyPatch, key: str, reason: str) -> None:
    value = pem(ec.generate_private_key(ec.SECP256R1())) if key == "ec" else key
    monkeypatch.setenv("GONG_WEBHOOK_PUBLIC_KEY", value)
    monkeypatch.setenv("ASMIS_API_PUBLIC_URL", health.url)
    check = by_name(await run_group(WEBHOOKS))["webhooks gong"]
    assert check.status == "fail" and reason in check.detail and check.fix


async def test_a_gong_key_without_the_public_url_fails_and_zoom_warns(monkeypatch: pytest.MonkeyPatch,
                                                                      settings: Settings) -> None:
    monkeypatch.setenv("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("GONG_WEBHOOK_PUBLIC_KEY", pem(rsa.generate_private_key(65537, 2048)))
    checks = by_name(await run_group(WEBHOOKS))
    assert checks["webhooks gong"].status == "fail" and "ASMIS_API_PUBLIC_URL" in checks["webhooks gong"].detail
    assert checks["webhooks zoom"].status == "warn" and "webhooks url" not in checks


async def test_an_unreachable_public_url_fails(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("ZOOM_WEBHOOK_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("ASMIS_API_PUBLIC_URL", f"http://127.0.0.1:{closed_port()}")
    check = by_name(await run_group(WEBHOOKS))["webhooks url"]
    assert check.status == "fail" and "does not answer" in check.detail
    with silent_server() as port:
        monkeypatch.setenv("ASMIS_API_PUBLIC_URL", f"http://127.0.0.1:{port}")
        checks = await run_group(WEBHOOKS, timeout=1.0)
    assert any(c.status == "fail" for c in checks), checks
    with Health(status=404) as other:
        monkeypatch.setenv("ASMIS_API_PUBLIC_URL", other.url)
        check = by_name(await run_group(WEBHOOKS))["webhooks url"]
    assert check.status == "fail" and "answered 404" in check.detail
