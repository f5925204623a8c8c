"""kissgame serve: the game in a real browser (headless Chromium driven by Playwright)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kissgame.engine import current, new_game
from kissgame.loader import load_story

pytest.importorskip("textual_serve", reason="the web extra is not installed "
                    "(pip install 'kissgame[web]')")

from kissgame.serve import exposure_warning  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "first_day"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def test_only_loopback_is_served_without_a_warning():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert exposure_warning(host, 8000) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "example.org"):
        warning = exposure_warning(host, 8000)
        assert warning and warning.startswith("kissgame: warning:") and host in warning


def test_the_warning_comes_before_binding_and_a_failed_bind_is_one_clear_error():
    # 192.0.2.1 (TEST-NET-1) is never this machine's, so binding to it fails.
    out = subprocess.run([sys.executable, "-m", "kissgame", "serve", str(EXAMPLE), "--host",
                          "192.0.2.1", "--port", "8000"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert lines[0].startswith("kissgame: warning: serving on 192.0.2.1:8000")
    assert lines[-1].startswith("kissgame: error: cannot serve on 192.0.2.1:8000")
    assert "Traceback" not in out.stderr and "serving" not in out.stdout


def _browser() -> str | None:
    for name in (os.environ.get("KISSGAME_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, what: str, timeout: float = 30.0, sleep=time.sleep):
    """Poll ``check``; with a browser, ``sleep`` must be the page's (it pumps its events)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    home = tmp_path / "home"
    env = dict(os.environ, KISSGAME_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "kissgame", "serve", str(EXAMPLE),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"

    def up():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return proc.poll() is not None and pytest.fail(proc.stdout.read())

    try:
        _wait_for(up, "the server to answer")
        yield url, home / "data" / "web-sessions"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def chromium():
    """Playwright and a Chromium to drive (never downloaded: the system's own)."""
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not "
                                     "installed (pip install playwright)")
    path = _browser()
    if path is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium; or set "
                    "KISSGAME_CHROMIUM to a Chromium or Chrome binary)")
    return playwright, path


@pytest.mark.slow
def test_title_new_game_one_choice_and_export_in_a_real_browser(chromium, server, tmp_path):
    playwright, chromium = chromium
    url, sessions = server
    story = load_story(EXAMPLE).story
    first = next(c for c in current(story, new_game(story, 0)).choices if c.enabled)

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1000, "height": 700},
                                          accept_downloads=True)
            page = context.new_page()
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            downloads = []
            page.on("download", lambda d: downloads.append(d))

            # Title: the game process starts and draws.
            page.goto(url)
            page.wait_for_selector("body.-first-byte", timeout=30_000)
            token = next(c["value"] for c in context.cookies() if c["name"] ==
                         "kissgame_session")
            home = sessions / token

            def wait(check, what):
                return _wait_for(check, what, sleep=lambda s: page.wait_for_timeout(s * 1000))

            title_shot = page.screenshot()

            # New game: the game autosaves at the start, in this browser's own folder.
            page.click("#terminal")
            page.keyboard.press("n")
            auto = home / "data" / "saves" / story.id / "auto.json"
            wait(auto.is_file, "the new game's autosave")
            assert json.loads(auto.read_text())["state"]["path"] == []

            # One choice: the branch memory records it.
            page.keyboard.press("1")
            memory = home / "data" / "branches" / f"{story.id}.json"

            def taken():
                if memory.is_file():
                    return json.loads(memory.read_text())["scenes"][story.start]["taken"]

            assert wait(taken, "the choice to be recorded") == {first.id: 1}
            assert page.screenshot() != title_shot

            # Export: a download in the browser, nothing written on the server.
            page.keyboard.press("x")
            download = wait(lambda: downloads and downloads[0], "the download")
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            assert saved.suffix == ".yaml"
            assert f"- {first.id}" in saved.read_text()
            assert not (home / "data" / "recordings").exists()

            # Offline: every request went to this server, none to a font host.
            origin = url.rstrip("/")
            assert all(u.startswith((origin, origin.replace("http", "ws"))) for u in
                       requests), [u for u in requests if not u.startswith(origin)]

            # Another browser is another session, with its own folder.
            other = browser.new_context()
            other.new_page().goto(url)
            other_token = next(c["value"] for c in other.cookies() if c["name"] ==
                               "kissgame_session")
            assert other_token != token
        finally:
            browser.close()
