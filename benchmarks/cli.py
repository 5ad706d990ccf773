"""The ``tilikbench`` command line. Subcommands live in ``benchmarks.commands``, one module each."""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import pkgutil
import sys

import benchmarks.commands as commands_pkg
from common.errors import ExitCode, TilikError


class _VersionAction(argparse.Action):
    """``--version``: the package version and the commit it runs from (looked up only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from common.resultmeta import commit_info
        try:
            version = importlib.metadata.version("tilikbench")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        c = commit_info()
        commit = f"commit {c['id'][:12]}{', dirty' if c['dirty'] else ''}" if c["id"] else "no git checkout"
        print(f"tilikbench {version} ({commit})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tilikbench",
        description="Capacity-planning testbed for city-scale CCTV platforms: synthetic RTSP cameras, "
                    "the real analytics stack and portal under load, and a calibrated simulator.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    parser.add_argument("--version", action=_VersionAction, help="print the version and commit, then exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands_pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_guarded(lambda: args.func(args))


def run_guarded(action) -> int:
    """Run a command's action: a TilikError becomes one line on stderr and its exit code."""
    try:
        return int(action() or ExitCode.OK)
    except TilikError as e:
        print(f"error: {e}", file=sys.stderr)
        return int(e.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
