"""Shell completion scripts for bash and zsh, generated from the argparse parser.

Read off the parser itself, so a new command or option completes without touching this
file. zsh runs the bash function through its own ``bashcompinit``.
"""

from __future__ import annotations

import argparse
import shlex

SHELLS = ("bash", "zsh")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _is_path(action: argparse.Action) -> str | None:
    """'-d' for a folder, '-f' for a file, None for anything else."""
    name = f"{action.metavar or ''} {action.dest}".lower()
    if "dir" in name or "story" in name:
        return "-d"
    if "file" in name:
        return "-f"
    return None


def _value_cases(cmd: str, parser: argparse.ArgumentParser) -> list[str]:
    """bash ``case`` arms for options that take a value: choices, paths, or nothing."""
    arms = []
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue
        pattern = "|".join(f"{cmd}:{opt}" for opt in action.option_strings)
        if action.choices:
            words = shlex.quote(" ".join(str(c) for c in action.choices))
            reply = f'COMPREPLY=($(compgen -W {words} -- "$cur"))'
        elif flag := _is_path(action):
            reply = f'COMPREPLY=($(compgen {flag} -- "$cur"))'
        else:
            reply = "COMPREPLY=()"
        arms.append(f"        {pattern}) {reply}; return;;")
    return arms


def _options(parser: argparse.ArgumentParser) -> str:
    return " ".join(opt for action in parser._actions for opt in action.option_strings)


def _positional_flag(parser: argparse.ArgumentParser) -> str:
    for action in parser._actions:
        if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
            return _is_path(action) or "-f"
    return ""


def bash_script(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    subs = _subcommands(parser)
    func = "_" + prog.replace("-", "_")
    value_arms = _value_cases("", parser)
    option_arms = [f'            "") opts={shlex.quote(_options(parser))};;']
    positional_arms = []
    for name, sub in subs.items():
        value_arms += _value_cases(name, sub)
        option_arms.append(f"            {name}) opts={shlex.quote(_options(sub))};;")
        if flag := _positional_flag(sub):
            positional_arms.append(f'            {name}) COMPREPLY=($(compgen {flag} -- "$cur"));;')
    names = " ".join(subs)
    return "\n".join([
        f"# {prog} completion for bash: eval \"$({prog} --print-completion bash)\"",
        f"{func}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        "    local cmd=\"\" opts=\"\" i",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f"            {'|'.join(subs) or '-'}) cmd=\"${{COMP_WORDS[i]}}\"; break;;",
        "        esac",
        "    done",
        '    case "$cmd:$prev" in',
        *value_arms,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        case "$cmd" in',
        *option_arms,
        "        esac",
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        '    elif [[ -z "$cmd" ]]; then',
        f'        COMPREPLY=($(compgen -W {shlex.quote(names)} -- "$cur"))',
        "    else",
        '        case "$cmd" in',
        *positional_arms,
        "        esac",
        "    fi",
        "}",
        f"complete -o filenames -F {func} {prog}",
        "",
    ])


def zsh_script(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    return "\n".join([
        f"# {prog} completion for zsh: eval \"$({prog} --print-completion zsh)\" in ~/.zshrc",
        "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }",
        "autoload -U +X bashcompinit && bashcompinit",
        bash_script(parser).split("\n", 1)[1],
    ])


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return {"bash": bash_script, "zsh": zsh_script}[shell](parser)
