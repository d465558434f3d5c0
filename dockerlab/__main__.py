"""Command line: ``python -m dockerlab COMMAND``.

Commands:
    doctor                 is this machine ready for the course?
    bases                  make sure every catalog base image exists (pull or bootstrap)
    cleanup                remove everything the kit made (base images are kept)
    leftovers [--session ID]   list kit-made containers/images/volumes (exit 1 if any)
    prefetch               pull every image the course uses (a machine with internet)
    bundle FILE            save the course's images into one archive, for a classroom
    load FILE              load such an archive into this engine
    engine start|stop|status   the kit's private engine (Linux, root)
    with-engine -- CMD...  run CMD with an engine; stop the private one afterwards
    score PATH [--context DIR]  build a Dockerfile and measure it on every practice
"""

from __future__ import annotations

import argparse
import sys

from .errors import DockerlabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dockerlab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the engine, registry, disk and base images")
    b = sub.add_parser("bases", help="make sure every catalog base image exists")
    b.add_argument("--force", action="store_true", help="rebuild even if present")
    b.add_argument("keys", nargs="*", help="catalog keys (default: all)")
    sub.add_parser("cleanup", help="remove everything the kit made, keep the base images")
    lo = sub.add_parser("leftovers", help="list what the kit made that is still there")
    lo.add_argument("--session", help="only this session's (default: every session)")
    sub.add_parser("prefetch", help="pull every image the course uses")
    bu = sub.add_parser("bundle", help="save the course's images into one archive")
    bu.add_argument("file")
    lo2 = sub.add_parser("load", help="load an archive made by bundle")
    lo2.add_argument("file")
    e = sub.add_parser("engine", help="the kit's private engine")
    e.add_argument("action", choices=["start", "stop", "status"])
    w = sub.add_parser("with-engine", help="run a command with an engine")
    w.add_argument("cmd", nargs=argparse.REMAINDER)
    sc = sub.add_parser("score", help="build a Dockerfile, measure it on every practice")
    sc.add_argument("path", help="a Dockerfile, or a folder holding one")
    sc.add_argument("--context", help="the build context folder (default: the Dockerfile's)")
    args = parser.parse_args(argv)

    try:
        return _run(args)
    except DockerlabError as err:
        print(f"dockerlab: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "with-engine":
        from .private_engine import with_engine

        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        return with_engine(cmd)
    if args.command == "engine":
        from . import private_engine

        if args.action == "start":
            print(private_engine.start())
        elif args.action == "stop":
            print(
                "stopped" if private_engine.stop() else "the kit's private engine was not running"
            )
        else:
            print("running" if private_engine.is_running() else "not running")
        return 0
    if args.command == "doctor":
        from .doctor import doctor

        report = doctor()
        print(report)
        return 0 if report.ok else 1
    if args.command == "bases":
        from .bases import ensure

        ensure(args.keys or None, force=args.force)
        return 0
    if args.command in ("prefetch", "bundle", "load"):
        from . import workshop

        if args.command == "prefetch":
            workshop.prefetch()
        elif args.command == "bundle":
            workshop.bundle(args.file)
        else:
            workshop.load(args.file)
        return 0
    if args.command == "cleanup":
        from .session import cleanup

        print(cleanup(all_sessions=True))
        return 0
    if args.command == "leftovers":
        from .session import leftovers

        left = leftovers(args.session)
        print(left)
        return 1 if any(left.values()) else 0
    if args.command == "score":
        from .scorecard import score

        print(score(args.path, args.context))
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
