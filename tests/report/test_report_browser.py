"""report.html in headless Chromium with the network cut off (Debian's `chromium` package).

Every http(s) request the browser would make is routed to a local proxy that refuses
and records it; the page must render every section and make no request at all.
Skipped when /usr/bin/chromium is missing (install: apt-get install -y chromium).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from report_fixtures import synthetic_frame, synthetic_manifest

from ftprep.report import SECTIONS, write_report

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")


class RecordingProxy:
    """Accepts connections on 127.0.0.1, records the first request line, and closes."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    data = conn.recv(1024)
                except OSError:
                    data = b""
                self.requests.append(data.split(b"\r\n", 1)[0].decode("latin-1"))

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def chromium(args: list[str], proxy_port: int, profile: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        f"--user-data-dir={profile}",
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=<-loopback>",  # even loopback goes through the recording proxy
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--no-first-run", "--disable-extensions",
        "--window-size=1280,6000", *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, list[str]]:
    tmp = tmp_path_factory.mktemp("browser")
    report = write_report(tmp, synthetic_manifest("failed"), synthetic_frame())
    shot = tmp / "report.png"
    with RecordingProxy() as proxy:
        dom = chromium(["--dump-dom", report.as_uri()], proxy.port, tmp / "profile1")
        pic = chromium([f"--screenshot={shot}", "--hide-scrollbars", report.as_uri()],
                       proxy.port, tmp / "profile2")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert pic.returncode == 0, pic.stderr[-2000:]
    shutil.rmtree(tmp / "profile1", ignore_errors=True)
    shutil.rmtree(tmp / "profile2", ignore_errors=True)
    return dom.stdout, shot, proxy.requests


def test_every_section_renders(rendered: tuple[str, Path, list[str]]) -> None:
    dom, _, _ = rendered
    text = re.sub(r"<[^>]+>", " ", dom)
    for sid, title in SECTIONS:
        assert f'id="{sid}"' in dom
        assert title.split()[0] in text
    for phrase in ("FAILED", "model limit 65,536", "total_tokens_in_range", "in/chat.jsonl:47",
                   "invalid_json", "PHONE", "$0.54"):
        assert phrase in text, phrase


def test_screenshot_is_a_real_page(rendered: tuple[str, Path, list[str]]) -> None:
    _, shot, _ = rendered
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000  # a blank 1280x6000 page compresses to a few kB


# Chromium's own background services (time sync, component updater, accounts) that
# headless Chromium contacts whatever page it shows; they are not requests of the page.
BROWSER_SERVICE_HOSTS = re.compile(
    r"^(?:[a-z0-9-]+\.)*(?:google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(?::\d+)?$")


def request_host(line: str) -> str:
    parts = line.split()
    if len(parts) < 2:
        return ""
    target = parts[1]
    if parts[0] == "CONNECT":
        return target
    m = re.match(r"^[a-z]+://([^/]+)", target)
    return m.group(1) if m else target


def page_requests(requests: list[str]) -> list[str]:
    return [r for r in requests if r and not BROWSER_SERVICE_HOSTS.match(request_host(r))]


def test_no_network_request(rendered: tuple[str, Path, list[str]]) -> None:
    _, _, requests = rendered
    assert page_requests(requests) == []


def test_the_proxy_would_see_a_page_request(tmp_path: Path) -> None:
    """Control: a page that loads an external image is caught by the same set-up."""
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><html><body><p>canary</p>'
                      '<img src="http://assets.example.test/logo.png"></body></html>',
                      encoding="utf-8")
    with RecordingProxy() as proxy:
        run = chromium(["--dump-dom", canary.as_uri()], proxy.port, tmp_path / "profile")
    assert run.returncode == 0
    assert any("assets.example.test" in r for r in page_requests(proxy.requests))
