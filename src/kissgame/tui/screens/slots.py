"""Save and load: the slot list as a modal. Slots are read off the event loop."""

from __future__ import annotations

import time
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...saves import (
    ALL_SLOTS,
    AUTO,
    NUMBERED_SLOTS,
    QUICK,
    SaveData,
    SaveError,
    SlotInfo,
    slot_label,
)
from ...session import format_play_time
from ..widgets.choice_list import MenuList
from ..widgets.plain import Plain
from .confirm import ConfirmScreen
from .dialog import Dialog

Mode = Literal["save", "load"]
SAVE_SLOTS = (QUICK, *NUMBERED_SLOTS)


def format_date(timestamp: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return "an unknown date"


def slot_prompt(info: SlotInfo) -> Text:
    text = Text()
    text.append(f"{slot_label(info.slot):<10}", "bold")
    if info.data is not None:
        data = info.data
        text.append(data.episode or "", "bold")
        if data.scene_title:
            text.append(f" \u00b7 {data.scene_title}")
        text.append(f"\n{'':<10}{format_play_time(data.play_seconds)} played \u00b7 "
                    f"{format_date(data.saved_at)} \u00b7 choice {data.state.turn}", "dim")
    elif info.damaged:
        text.append("DAMAGED", "bold red")
        text.append(f"\n{'':<10}{info.problem}", "red")
        if info.backup is not None:
            text.append(f"\n{'':<10}a backup from {format_date(info.backup.saved_at)} "
                        "can be restored", "italic")
    else:
        text.append("empty", "dim italic")
    return text


class SlotScreen(Dialog[None]):
    AUTO_FOCUS = "#slot-list"
    """Lists the slots; Enter saves to (or loads from) the highlighted one."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="slots.close"),
        Binding("delete", "delete", "Delete", id="slots.delete"),
    ]

    def __init__(self, mode: Mode) -> None:
        super().__init__()
        self.mode: Mode = mode
        self.infos: dict[str, SlotInfo] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="slots"):
            yield Plain("Save game" if self.mode == "save" else "Load game", id="dialog-title")
            yield MenuList(Option("Reading saves\u2026", disabled=True), id="slot-list")
            yield Plain(self._hint(), id="dialog-detail")

    def _hint(self) -> str:
        verb = "save here" if self.mode == "save" else "load"
        return f"Enter: {verb}   Del: delete   Esc: back"

    def on_mount(self) -> None:
        self.read_slots()

    @work(thread=True, exclusive=True, group="slots")
    def read_slots(self) -> None:
        which = SAVE_SLOTS if self.mode == "save" else ALL_SLOTS
        infos = self.session.saves.slots(which)
        self.app.call_from_thread(self._show_slots, infos)

    def _show_slots(self, infos: list[SlotInfo]) -> None:
        self.infos = {info.slot: info for info in infos}
        if not self.is_attached:
            return
        options = []
        for info in infos:
            disabled = self.mode == "load" and info.empty
            options.append(Option(slot_prompt(info), id=info.slot, disabled=disabled))
        slot_list = next(iter(self.query("#slot-list").results(OptionList)), None)
        if slot_list is None:
            return
        highlighted = slot_list.highlighted
        slot_list.set_options(options)
        if options:
            enabled = [i for i, option in enumerate(options) if not option.disabled]
            if highlighted is not None and highlighted in enabled:
                slot_list.highlighted = highlighted
            else:
                slot_list.highlighted = enabled[0] if enabled else None

    @on(OptionList.OptionSelected, "#slot-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        info = self.infos.get(event.option_id or "")
        if info is None:
            return
        if self.mode == "save":
            self._save(info)
        else:
            self._load(info)

    def _save(self, info: SlotInfo) -> None:
        if info.empty:
            self._write(info.slot)
            return

        def answer(result: str | None) -> None:
            if result == "yes":
                self._write(info.slot)

        what = "is damaged" if info.damaged else "already holds a save"
        self.app.push_screen(ConfirmScreen(
            f"Overwrite {slot_label(info.slot)}?",
            f"{slot_label(info.slot)} {what}. The save it replaces is kept as a backup.",
            [("yes", "Overwrite", "y"), ("no", "Cancel", "n")]), answer)

    def _write(self, slot: str) -> None:
        if self.host.save_to(slot) is not None:
            self.dismiss(None)

    def _load(self, info: SlotInfo) -> None:
        if info.data is not None:
            self._finish_load(info.data, info.slot)
            return
        if not info.damaged:
            return
        backup = info.backup
        if backup is None:
            self.notify(f"{slot_label(info.slot)} is damaged and has no backup: "
                        f"{info.problem}", severity="error", timeout=10)
            return

        def answer(result: str | None) -> None:
            if result != "yes":
                return
            try:
                data = self.session.saves.restore_backup(info.slot)
            except (OSError, SaveError) as exc:
                self.notify(f"Could not restore the backup: {exc}", severity="error")
                return
            self._finish_load(data, info.slot)

        self.app.push_screen(ConfirmScreen(
            f"{slot_label(info.slot)} is damaged",
            f"{info.problem}.\nRestore its backup from {format_date(backup.saved_at)} "
            f"(choice {backup.state.turn}) and load it?",
            [("yes", "Restore and load", "y"), ("no", "Cancel", "n")]), answer)

    def _finish_load(self, data: SaveData, slot: str) -> None:
        host = self.host
        self.dismiss(None)
        host.load_save(data, slot)

    def action_delete(self) -> None:
        slot_list = next(iter(self.query("#slot-list").results(OptionList)), None)
        if slot_list is None or self._dismissed:
            return
        option = slot_list.highlighted_option
        info = self.infos.get(option.id or "") if option is not None else None
        if info is None or info.empty or info.slot == AUTO:
            return

        def answer(result: str | None) -> None:
            if result == "yes":
                self.session.saves.delete(info.slot)
                if self.is_attached and not self._dismissed:
                    self.read_slots()

        self.app.push_screen(ConfirmScreen(
            f"Delete {slot_label(info.slot)}?", "Its backup is kept.",
            [("yes", "Delete", "y"), ("no", "Cancel", "n")]), answer)

    def action_close(self) -> None:
        self.dismiss(None)
