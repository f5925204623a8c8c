"""The engine never imports Textual (nor YAML): the UI/logic split is enforced here."""

import subprocess
import sys


def test_engine_imports_neither_textual_nor_yaml():
    code = ("import sys, kissgame.engine; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'yaml')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_and_explore_never_import_textual():
    code = ("import sys, kissgame.checker, kissgame.explorer, kissgame.recording, "
            "kissgame.__main__; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
