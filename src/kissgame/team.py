"""Forked worker processes that keep what they hold between calls, answering in a fixed order.

A ``Team`` has one member object per job. With several jobs each member lives in a
process forked from this one, so it starts with everything this process had (the story,
what the search has found so far) without pickling any of it, and what it builds stays
there between calls: only the calls' arguments and answers cross, as pickles. ``call``
asks every member and returns the answers in member order, so nothing a caller merges
depends on which process finishes first. With one job (or where fork is unavailable)
the single member runs in this process, through the same calls.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any

Member = Callable[[int, int], Any]
"""Makes member ``w`` of ``jobs`` (called in the member's own process)."""


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _serve(make: Member, worker: int, jobs: int, pipe: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the main process's to handle
    member = make(worker, jobs)
    while True:
        try:
            request = pipe.recv()
        except EOFError:
            request = None
        if request is None:
            # Now, without freeing what the member holds one object at a time (a
            # search's states: a fifth of a second that the main process would wait).
            os._exit(0)
        name, args = request
        try:
            pipe.send(("ok", getattr(member, name)(*args)))
        except BaseException:  # the main process reports it; the worker carries on
            pipe.send(("error", traceback.format_exc()))


class TeamError(RuntimeError):
    """A member failed or its process died."""


class Team:
    def __init__(self, make: Member, jobs: int):
        self.jobs = max(1, jobs) if can_fork() else 1
        self.local: Any = None
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        if self.jobs == 1:
            self.local = make(0, 1)
            return
        context = multiprocessing.get_context("fork")
        gc.freeze()  # the children's collector then leaves the shared pages alone
        try:
            for worker in range(self.jobs):
                here, there = context.Pipe()
                process = context.Process(target=_serve, args=(make, worker, self.jobs, there),
                                          daemon=True)
                process.start()
                there.close()
                self.pipes.append(here)
                self.processes.append(process)
        finally:
            gc.unfreeze()

    def call(self, name: str, args: list[tuple[Any, ...]]) -> list[Any]:
        """Member w runs ``name(*args[w])``; the answers, in member order."""
        if self.local is not None:
            return [getattr(self.local, name)(*args[0])]
        for worker, each in enumerate(args):
            self.send(worker, name, each)
        return [self.answer(worker) for worker in range(self.jobs)]

    def send(self, worker: int, name: str, args: tuple[Any, ...]) -> None:
        """Member ``worker`` starts ``name(*args)``; ``answer`` waits for what it returns.
        (Forked members only: the caller runs a local member itself.)"""
        self.pipes[worker].send((name, args))

    def answer(self, worker: int) -> Any:
        try:
            status, value = self.pipes[worker].recv()
        except EOFError:
            raise TeamError(f"worker {worker} died") from None
        if status != "ok":
            raise TeamError(f"worker {worker} failed:\n{value}")
        return value

    def done(self, workers: list[int]) -> list[int]:
        """Those of ``workers`` (each sent a call) with an answer waiting; waits for one."""
        ready = multiprocessing.connection.wait([self.pipes[w] for w in workers])
        return [w for w in workers if self.pipes[w] in ready]

    def close(self, at_once: bool = False) -> None:
        """Stop the workers: at once (after an error or Ctrl+C), or when idle."""
        for pipe in self.pipes if not at_once else ():
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=0 if at_once else 1)
            if process.is_alive():
                process.terminate()
                process.join()
        self.pipes, self.processes = [], []

    def __enter__(self) -> Team:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(at_once=kind is not None)
