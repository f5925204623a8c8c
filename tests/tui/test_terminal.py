"""A real terminal: tmux runs ``kissgame play``, send-keys plays, capture-pane reads."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.slow

TMUX = shutil.which("tmux")


def capture(session: str) -> str:
    return subprocess.run([TMUX, "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True, check=False).stdout


def wait_for(session: str, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(session)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on screen:\n{screen}")


def send(session: str, *keys: str) -> None:
    for key in keys:
        subprocess.run([TMUX, "send-keys", "-t", session, key], check=True)
        time.sleep(0.15)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
def test_play_in_tmux(story_root, kiss_home, size):
    session = f"kissgame-test-{uuid.uuid4().hex[:8]}"
    env = {"KISSGAME_HOME": str(kiss_home), "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    # COLUMNS/LINES from the test run would override the pane's real size.
    command = " ".join(["exec", "env", "-u", "COLUMNS", "-u", "LINES",
                        *[f"{k}={shlex.quote(v)}" for k, v in env.items()],
                        shlex.quote(sys.executable), "-m", "kissgame", "play",
                        shlex.quote(str(story_root))])
    # Start a shell, fix the window size, and only then start the game: a size change
    # racing the game's start-up would otherwise be lost.
    subprocess.run([TMUX, "-f", "/dev/null", "new-session", "-d", "-s", session,
                    "-x", str(size[0]), "-y", str(size[1]), "sh"], check=True)
    try:
        subprocess.run([TMUX, "resize-window", "-t", session, "-x", str(size[0]),
                        "-y", str(size[1])], check=False, capture_output=True)
        subprocess.run([TMUX, "send-keys", "-t", session, command, "Enter"], check=True)
        wait_for(session, "New game")
        send(session, "Enter")
        screen = wait_for(session, "I land in Seoul")
        assert "1. Hug Dae" in screen and "Episode 1: Hello" in screen
        assert ("Dae + Kitty" in screen) == (size[0] >= 100)  # notebook collapses at 80
        send(session, "1")
        screen = wait_for(session, "Walk to the dorm")
        assert "New girl" in screen
        send(session, "r")
        wait_for(session, "1. Hug Dae")
        send(session, "2", "1")
        screen = wait_for(session, "The dorm smells")
        assert "locked: Dae needs to trust you more" in screen
        send(session, "2")
        screen = wait_for(session, "THE END")
        assert "Expelled" in screen
        send(session, "C-q")  # unsaved: asks first
        wait_for(session, "Quit kissgame?")
        send(session, "q")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = subprocess.run([TMUX, "has-session", "-t", session],
                                   capture_output=True).returncode == 0
            if not alive or "I land" not in capture(session) and "THE END" not in capture(
                    session):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("kissgame did not quit")
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)


LONG = " ".join(f"Sentence {n} of a scene much longer than one screen." for n in range(90))


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_read_a_whole_long_scene_by_keyboard_at_80x24(tmp_path, kiss_home):
    from conftest import EP1, write_story

    ep1 = EP1.replace(
        '      - dae: "Kitty? What are you doing here?"',
        f'      - dae: "Kitty? What are you doing here?"\n      - "{LONG}"\n'
        '      - "THE LAST LINE of the arrival."')
    root = write_story(tmp_path / "long", ep1=ep1)
    session = f"kissgame-test-{uuid.uuid4().hex[:8]}"
    env = {"KISSGAME_HOME": str(kiss_home), "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    command = " ".join(["exec", "env", "-u", "COLUMNS", "-u", "LINES",
                        *[f"{k}={shlex.quote(v)}" for k, v in env.items()],
                        shlex.quote(sys.executable), "-m", "kissgame", "play",
                        shlex.quote(str(root))])
    subprocess.run([TMUX, "-f", "/dev/null", "new-session", "-d", "-s", session,
                    "-x", "80", "-y", "24", "sh"], check=True)
    try:
        subprocess.run([TMUX, "resize-window", "-t", session, "-x", "80", "-y", "24"],
                       check=False, capture_output=True)
        subprocess.run([TMUX, "send-keys", "-t", session, command, "Enter"], check=True)
        wait_for(session, "New game")
        send(session, "Enter")
        screen = wait_for(session, "more below")
        assert "1. Hug Dae" in screen and "THE LAST LINE" not in screen
        read = {line.strip() for line in screen.splitlines()}
        pages = 0
        while "more below" in screen and pages < 40:
            send(session, "Space" if pages % 2 else "PgDn")
            time.sleep(0.3)
            screen = capture(session)
            read |= {line.strip() for line in screen.splitlines()}
            pages += 1
            assert "1. Hug Dae" in screen  # the choices stay in view while reading
        assert "THE LAST LINE of the arrival." in screen and pages >= 3
        text = " ".join(" ".join(read).split())
        for n in (0, 45, 89):  # every part of the scene passed by
            assert f"Sentence {n} of" in text, n
        send(session, "1")
        wait_for(session, "New girl")
        deadline = time.monotonic() + 5
        while "more below" in capture(session) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "more below" not in capture(session)  # a short scene: nothing below
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
