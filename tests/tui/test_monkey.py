"""A monkey test: 5,000 random key presses, with resizes, on every screen, must not raise.

Keys include every key the game binds, F1-F12, ctrl-keys (the command palette among
them) and keys it does not bind. Most arrive in rapid bursts (as from a fast typist or a
held key), sent the way Pilot sends them but without waiting for the app to go idle
between keys; every fortieth burst goes through ``pilot.press`` one key at a time, and
between bursts the terminal is sometimes resized (down to 40x12). Any exception inside
the app makes ``run_test`` raise: that is the assertion.
"""

from __future__ import annotations

import os
import random
import unicodedata

from textual import events
from textual.keys import _get_unicode_name_from_key

from conftest import fixed_clock, settle
from kissgame.settings import Settings
from kissgame.tui.app import make_app
from kissgame.tui.screens.play import PlayScreen

# Every key the game binds, plus some it does not. Quitting is counted, not done (see
# below), so the monkey keeps playing; the quit dialog has its own tests. ctrl+z
# (suspend) is left out: it would stop the test process.
KEYS = [*"123456789", "0", "up", "down", "left", "right", "enter", "space", "tab",
        "shift+tab", "home", "end", "pageup", "pagedown", "backspace", "delete", "escape",
        "r", "s", "l", "h", "n", "o", "m", "x", "y", "c", "q", "p", "t", "j", "k", "u",
        "question_mark", "minus", "plus", "a", "z",
        *[f"f{n}" for n in range(1, 13)],
        *[f"ctrl+{c}" for c in "abcdefghijklmnopqrstuvwxy"], "ctrl+home", "ctrl+end",
        "shift+up", "shift+down", "alt+x"]
SIZES = [(80, 24), (160, 50), (40, 12), (100, 30), (60, 20)]
PRESSES = int(os.environ.get("MONKEY_PRESSES", "5000"))
BURST = 25


def key_event(key: str) -> events.Key:
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def burst(pilot, keys: list[str]) -> None:
    app = pilot.app
    for key in keys:
        event = key_event(key)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()


async def test_random_keys_do_not_crash(story_root):
    rng = random.Random(int(os.environ.get("MONKEY_SEED", "20240501")))
    app = make_app(story_root, seed=11, clock=fixed_clock, settings=Settings(reveal="fast"),
                   debug=True)
    quits: list[bool] = []
    # The title menu's "Quit" entry is reachable by arrows and Enter; count it instead of
    # quitting, so the monkey keeps playing (quitting has its own tests).
    app.action_request_quit = lambda: quits.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, PlayScreen)
        pressed = 0
        rounds = 0
        while pressed < PRESSES:
            keys = [rng.choice(KEYS) for _ in range(BURST)]
            if rounds % 40 == 0:
                await pilot.press(*keys)
            else:
                await burst(pilot, keys)
            if rounds % 7 == 3:
                await pilot.resize_terminal(*rng.choice(SIZES))
            pressed += len(keys)
            rounds += 1
            assert app.is_running
            if not any(isinstance(s, PlayScreen) for s in app.screen_stack):
                await settle(pilot)
                app.show_play() if app.state is not None else app.start_new_game()
        await settle(pilot)
        assert app.state is not None and app.state.scene in app.story.scenes
    assert pressed >= 5000 or PRESSES < 5000
