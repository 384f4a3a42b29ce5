"""``cruxmap rules``: list the diagnostic codes, or explain one."""

from __future__ import annotations

import argparse

from cruxmap.commands.common import UsageError


def add_arguments(rules: argparse.ArgumentParser) -> None:
    rules.add_argument(
        "codes",
        nargs="*",
        metavar="CODE",
        help="print the full help of these codes (e.g. CX101, or a name like brittle-premise)",
    )
    rules.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cruxmap.core.diagnostics import RULES, explain, find_rule

    if not args.codes:
        for rule in RULES.values():
            print(f"{rule.code}  {rule.severity.value:<7}  {rule.name:<28} {rule.description}")
        return 0
    try:
        found = [find_rule(code) for code in args.codes]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print("\n".join(explain(rule) for rule in found).rstrip("\n"))
    return 0
