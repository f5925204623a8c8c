"""docs/editors.md's Neovim set-up, run as written in a real headless Neovim."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kissgame.scaffold import scaffold

DOCS = Path(__file__).resolve().parents[1] / "docs" / "editors.md"
NVIM = shutil.which("nvim")

PROBE = """\
local out = {}
vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 100)
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, string.format("diagnostic %d:%d %s", d.lnum + 1, d.col + 1, d.code or ""))
end
local function at(method, extra)
  local params = vim.lsp.util.make_position_params()
  params.position = { line = LINE, character = CHARACTER }
  for k, v in pairs(extra or {}) do params[k] = v end
  local res = vim.lsp.buf_request_sync(0, method, params, 30000)
  for _, r in pairs(res or {}) do return r.result end
end
for _, loc in ipairs(at("textDocument/definition") or {}) do
  table.insert(out, string.format("definition %s %d", vim.uri_to_fname(loc.uri),
                                  loc.range.start.line + 1))
end
local completion = at("textDocument/completion") or {}
for _, item in ipairs(completion.items or completion) do
  table.insert(out, "completion " .. item.label)
end
vim.lsp.util.apply_workspace_edit(at("textDocument/rename", { newName = "q_table" }), "utf-16")
vim.cmd("silent wall")
vim.fn.writefile(out, "probe.out")
vim.cmd("qa!")
"""


def neovim_block() -> str:
    """The Lua block under the docs' 'Neovim 0.7 to 0.10' heading."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("### Neovim 0.7 to 0.10"):]
    return re.search(r"```lua\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed")
def test_the_documented_neovim_setup_checks_jumps_completes_and_renames(tmp_path: Path):
    story = tmp_path / "lunch"
    scaffold(story)
    scenes = story / "scenes" / "lunch.yaml"
    text = scenes.read_text().replace("to: stairwell", "to: stairwel")
    scenes.write_text(text)
    lines = text.split("\n")
    target = next(i for i, line in enumerate(lines) if line.strip() == "to: with_q")
    (tmp_path / "init.lua").write_text(neovim_block())
    (tmp_path / "probe.lua").write_text(
        PROBE.replace("LINE", str(target)).replace("CHARACTER", "14"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}", "XDG_STATE_HOME": str(tmp_path / "state")}
    subprocess.run([NVIM, "--headless", "-u", "init.lua", "-c", "luafile probe.lua",
                    str(scenes)], cwd=tmp_path, env=env, timeout=180, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True)
    out = (tmp_path / "probe.out").read_text().splitlines()
    typo_line = next(i for i, line in enumerate(lines) if "to: stairwel" in line) + 1
    assert f"diagnostic {typo_line}:13 KG102" in out
    definition_line = next(i for i, line in enumerate(lines) if "- id: with_q" in line) + 1
    assert f"definition {scenes.resolve()} {definition_line}" in out
    assert {"completion cafeteria", "completion with_q", "completion stairwell"} <= set(out)
    # the rename was applied by Neovim and saved: the story has no with_q left
    renamed = scenes.read_text()
    assert "with_q" not in renamed and renamed.count("q_table") == 2
