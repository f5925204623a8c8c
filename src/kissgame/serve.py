"""``kissgame serve``: the full-screen game in a web browser, through textual-serve.

Each browser gets a cookie naming its own save folder (its own ``KISSGAME_HOME``), so
visitors never share saves, settings or the branch map. The page is served from this
package with no remote font or script, so it plays with no internet.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from .resources import data_dir

COOKIE = "kissgame_session"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
COOKIE_DAYS = 365


def is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """What to tell the user before listening on an address other machines can reach."""
    if is_local(host):
        return None
    return (f"kissgame: warning: serving on {host}:{port}: anyone who can reach this "
            f"machine on port {port} can play, and each visitor's saves are stored on "
            "this machine. There is no password and no encryption (plain HTTP). Use "
            "--host 127.0.0.1 to keep it to this machine.")


def play_command(root: Path) -> str:
    """The shell command textual-serve runs for each browser session."""
    argv = [sys.executable, "-m", "kissgame.serve", str(root)]
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def sessions_dir() -> Path:
    return data_dir() / "web-sessions"


class SessionService(AppService):
    """One game process, with its browser's own folder as KISSGAME_HOME."""

    def __init__(self, *args, home: Path, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.home = home

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        environment["KISSGAME_HOME"] = str(self.home)
        return environment


class KissServer(Server):
    def __init__(self, root: Path, host: str, port: int, title: str) -> None:
        templates = Path(__file__).parent / "web"
        shown = f"[{host}]" if ":" in host else host
        super().__init__(play_command(root), host=host, port=port, title=title,
                         public_url=f"http://{shown}:{port}", templates_path=templates)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        response = await super().handle_index(request)
        if not TOKEN.fullmatch(request.cookies.get(COOKIE, "")):
            response.set_cookie(COOKIE, secrets.token_urlsafe(24), httponly=True,
                                samesite="Strict", max_age=COOKIE_DAYS * 24 * 3600)
        return response

    def session_home(self, request: web.Request) -> Path:
        token = request.cookies.get(COOKIE, "")
        if TOKEN.fullmatch(token):
            home = sessions_dir() / token
            home.mkdir(parents=True, exist_ok=True)
            return home
        # No cookie (refused by the browser): a folder for this visit only.
        sessions_dir().mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="visit-", dir=sessions_dir()))

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's own handler, with the session's folder passed to the game."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service: SessionService | None = None
        try:
            await websocket.prepare(request)
            service = SessionService(
                self.command, write_bytes=websocket.send_bytes,
                write_str=websocket.send_str, close=websocket.close,
                download_manager=self.download_manager, debug=self.debug,
                home=self.session_home(request))
            await service.start(width, height)
            await self._process_messages(websocket, service)
        finally:
            if service is not None:
                await service.stop()
        return websocket

    def initialize_logging(self) -> None:
        super().initialize_logging()
        # One line per request (every font and script) buries the warnings that matter.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints a banner here, before it knows the port is free."""

    def serve(self, debug: bool = False) -> None:
        """textual-serve's own, saying where it serves only once it is listening."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signal.SIGINT, self.request_exit)
            loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False,
                    loop=loop, print=lambda *_: print(
                        f"kissgame: serving {self.title} on {self.public_url} "
                        "(Ctrl+C to stop)", flush=True))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def serve(root: Path, title: str, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted."""
    KissServer(root, host, port, title).serve()


if __name__ == "__main__":
    # The game process for one browser session, started by the server above.
    from .tui.app import run_app

    sys.exit(run_app(Path(sys.argv[1])))
