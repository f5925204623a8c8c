"""A monkey test: 2,000 random key presses on the play screen must not raise.

Most keys arrive in rapid bursts (as from a fast typist or a held key), sent the way
Pilot sends them but without waiting for the app to go idle between keys; every tenth
burst goes through ``pilot.press`` one key at a time. Any exception inside the app makes
``run_test`` raise.
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

# Every key the game binds, plus some it does not. Quitting keys are left out so the
# monkey keeps playing; the quit dialog has its own tests.
KEYS = [*"123456789", "0", "up", "down", "left", "right", "enter", "space", "tab",
        "shift+tab", "home", "end", "pageup", "pagedown", "backspace", "delete", "escape",
        "r", "s", "l", "h", "n", "o", "m", "x", "y", "c", "question_mark", "f1", "f5",
        "f9", "a", "z", "ctrl+r"]
PRESSES = int(os.environ.get("MONKEY_PRESSES", "2000"))
BURST = 20


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
    app = make_app(story_root, seed=11, clock=fixed_clock, settings=Settings(reveal="fast"))
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
            if rounds % 20 == 0:
                await pilot.press(*keys)
            else:
                await burst(pilot, keys)
            pressed += len(keys)
            rounds += 1
            assert app.is_running
            if not any(isinstance(s, PlayScreen) for s in app.screen_stack):
                await settle(pilot)
                app.show_play() if app.state is not None else app.start_new_game()
        await settle(pilot)
        assert app.state is not None and app.state.scene in app.story.scenes
    assert pressed >= 2000 or PRESSES < 2000
