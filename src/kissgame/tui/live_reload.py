"""`kissgame play --watch`: reload the story when its files change, keep the player's place.

A timer polls the story folder (``StoryWatcher``, two stat calls a file); a change
starts a thread worker that loads the story. A clean story replaces the running one
through ``Host.load_state`` with the player's place carried over by
``kissgame.devtools.carry_over``; a broken one leaves the last good story running and
lists its errors in the ``ReloadPanel`` of the play screen until a save fixes them.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App
from textual.worker import get_current_worker

from ..devtools import BROKEN, GONE, carry_over
from ..engine import Story
from ..engine.diagnostics import ERROR, display_path
from ..loader import LoadResult, load_story
from ..watch import StoryWatcher
from .host import Host
from .widgets.reload_panel import ReloadPanel, problem_text

POLL_SECONDS = 0.5


class LiveReload:
    """Polls the story folder ``root`` and swaps in each clean edit of the story.

    ``problem`` is what the reload panel shows (None when the running story is the
    latest one). When an edit removes the scene the player is in, the new story waits
    in ``pending`` and is applied as soon as the player stands somewhere it has.
    """

    def __init__(self, app: App, host: Host, root: Path, interval: float = POLL_SECONDS
                 ) -> None:
        self.app = app
        self.host = host
        self.root = root
        self.watcher = StoryWatcher(root)
        self.problem: Text | None = None
        self.pending: Story | None = None
        self._tried: object = None  # the state the pending story was last tried on
        self.reloads = 0
        self.timer = app.set_interval(interval, self.poll, name="live-reload")

    # -- on the UI thread ---------------------------------------------------------------

    def poll(self) -> None:
        if self.watcher.changed():
            self.reload()
        elif self.pending is not None and self.host.session.state is not self._tried:
            self._apply_story(self.pending, quiet_if_gone=True)

    def reload(self) -> None:
        """Load the story folder again, off the UI thread (a newer reload wins)."""
        self.app.run_worker(self._load, name="reload story", group="live-reload",
                            thread=True, exclusive=True, exit_on_error=False)

    def _loaded(self, result: LoadResult | None, failure: str = "") -> None:
        if result is None:
            self._show(Text(f"Could not reload {display_path(str(self.root))}: {failure}",
                            style="bold"))
            return
        if not result.ok or result.story is None:
            errors = [d for d in result.diagnostics if d.severity == ERROR]
            self.pending = None
            self._show(problem_text(
                f"The edited story has {len(errors)} error(s); the last good version keeps "
                "running until they are fixed.", errors))
            return
        self._apply_story(result.story)

    def _apply_story(self, story: Story, quiet_if_gone: bool = False) -> None:
        host = self.host
        state = host.session.state
        if state is None:  # no game in progress: the next one starts in the new story
            self.pending = None
            host.replace_story(story)
            self._done("Story reloaded.")
            return
        carried = carry_over(host.session.story, story, state)
        if carried.state is None:
            if carried.how == GONE:
                self.pending, self._tried = story, state
                if not quiet_if_gone:
                    self._show(problem_text(f"Not reloaded: {carried.message}. Choose or "
                                            "jump on; the edit applies once you can."))
            elif carried.how == BROKEN:
                self.pending = None
                self._show(problem_text(f"Not reloaded: {carried.message}; the last good "
                                        "version keeps running.", carried.diagnostics))
            return
        self.pending = None
        host.load_state(carried.state, story=story, show=False)
        self._done(f"Story reloaded: {carried.message}.")

    def _done(self, message: str) -> None:
        self.reloads += 1
        self._show(None)
        self.app.notify(message, title="Live reload", timeout=3, markup=False)

    def _show(self, problem: Text | None) -> None:
        if problem is not None and (self.problem is None or problem.plain != self.problem.plain):
            self.app.notify("The story was not reloaded: see the panel on the play screen.",
                            title="Live reload", severity="warning", timeout=4)
        self.problem = problem
        for screen in self.app.screen_stack:
            for panel in screen.query(ReloadPanel):
                panel.show_problem(problem)

    # -- in the worker thread -----------------------------------------------------------

    def _load(self) -> None:
        try:
            result, failure = load_story(self.root), ""
        except Exception as exc:  # a file vanishing mid-save must not end the game
            result, failure = None, f"{exc.__class__.__name__}: {exc}"
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, result, failure)


def start_live_reload(app: App, host: Host, root: Path,
                      interval: float = POLL_SECONDS) -> LiveReload:
    """Watch the story folder ``root`` while ``app`` runs."""
    return LiveReload(app, host, Path(root), interval)
