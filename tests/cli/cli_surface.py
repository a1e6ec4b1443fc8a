"""What the command line shows of itself, as data: every command's ``--help`` text, the
option each declares (hidden ones too), and the error and exit status of a bad option.

``tests/data/cli_now-surface.json`` holds it as the code before the commands got a module each
(issue 25 item 6) wrote it; ``test_parser.py`` compares the code of now with it.  After an
option is added or changed on purpose, write it again from the commit before the change
and the change itself checked:

    PYTHONPATH=$PWD python -m tests.cli.cli_surface > tests/data/cli_now-surface.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys

#: Every command line whose --help is kept, the top level's first.
HELP_PATHS = ([], ["run"], ["ab"], ["save-model"], ["export"], ["info"], ["profiles"],
              ["compare"], ["sweep"], ["history"], ["peak"], ["fleet"], ["fleet", "report"],
              ["fleet", "run"], ["report"], ["suite"], ["benchmark-app"])
#: argparse wraps help at the terminal's width: one width, whatever runs the tests.
COLUMNS = "100"


def _call(argv: list[str]) -> tuple[object, str, str]:
    """Exit status (SystemExit's code or main's return), stdout and stderr of one call."""
    from perfbench.cli.main import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status: object = main(argv)
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def _action(action: argparse.Action, group: str) -> dict:
    return {"kind": type(action).__name__, "options": list(action.option_strings),
            "dest": action.dest, "nargs": repr(action.nargs), "const": repr(action.const),
            "default": repr(action.default), "choices": repr(action.choices),
            "required": action.required, "metavar": repr(action.metavar),
            "hidden": action.help == argparse.SUPPRESS, "group": group}


def _declared(parser: argparse.ArgumentParser, name: str, found: dict) -> None:
    """Each parser's actions, by the command line that reaches it; sub-commands too."""
    groups = {id(a): g.title for g in parser._action_groups for a in g._group_actions}
    actions = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            actions.append({"kind": "sub-commands", "dest": action.dest,
                            "required": action.required,
                            "choices": {n: helps.get(n) for n in action.choices}})
            seen = set()
            for sub_name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    _declared(sub, f"{name} {sub_name}".strip(), found)
            continue
        actions.append(_action(action, groups.get(id(action), "")))
    exclusive = [sorted(a.dest for a in g._group_actions)
                 for g in parser._mutually_exclusive_groups]
    found[name] = {"prog": parser.prog, "epilog": parser.epilog, "actions": actions,
                   "exclusive": exclusive}


def surface() -> dict:
    """Run with COLUMNS set to :data:`COLUMNS` (argparse reads the width from it)."""
    from perfbench.cli.parser import make_parser
    declared: dict = {}
    _declared(make_parser(), "", declared)
    helps = {" ".join(path) or "perfbench": _call([*path, "--help"]) for path in HELP_PATHS}
    bad = {" ".join(path) or "perfbench": _call([*path, "--no-such-option"])
           for path in HELP_PATHS}
    bad["(no command)"] = _call([])
    bad["(unknown command)"] = _call(["bogus"])
    bad["(an option before the command)"] = _call(["-q", "run"])
    bad["--version"] = _call(["--version"])
    for peer in (["-hint", "latency"], ["-nstreams", "2"], ["-pc"], ["-max_irate=5"]):
        bad[f"run {' '.join(peer)}"] = _call(["run", *peer])
    return {"help": {k: {"status": s, "out": o, "err": e} for k, (s, o, e) in helps.items()},
            "bad option": {k: {"status": s, "out": o, "err": e}
                           for k, (s, o, e) in bad.items()},
            "declared": declared}


if __name__ == "__main__":
    os.environ["COLUMNS"] = COLUMNS
    json.dump(surface(), sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
