"""Command line: ``python -m dockerlab COMMAND``.

Commands:
    doctor                 is this machine ready for the course?
    bases                  make sure every catalog base image exists (pull or bootstrap)
    cleanup [--all-sessions]   remove what your sessions made (every session's with
                           --all-sessions, e.g. after a workshop); base images are kept
    leftovers [--session ID]   list kit-made containers/images/volumes (exit 1 if any)
    prefetch               pull every image the course uses (a machine with internet)
    bundle FILE            save the course's images into one archive, for a classroom
    load FILE              load such an archive into this engine
    engine start|stop|status   the kit's private engine (Linux, root; DOCKERLAB_ENGINE=28,
                           28-overlay2 or 20.10 picks its profile, default 28)
    with-engine -- CMD...  run CMD with an engine; stop the private one afterwards
    score PATH [--context DIR]  score a Dockerfile on every practice (its folder is the
                           build context, as for docker build); partial if it cannot
                           be built here (a step needs the network, a base is missing)
    score --compare A B    two Dockerfiles' scorecards side by side
    classroom setup NAME... [--memory 2g --pids 1024 --cpus 1 --disk 8g --images KEY...]
                           (root) a workshop machine: a Unix user and a rootless engine
                           per learner, each in a budget of their own, and a JupyterHub
                           configuration; then start | status | stop | teardown
    classroom kubernetes --notebook-image NAME:TAG [--output values.yaml --registry HOST
                           --rootful] [--memory --cpus --disk]  Zero to JupyterHub's Helm
                           values for the same model: an engine sidecar per learner's pod
"""

from __future__ import annotations

import argparse
import sys

from dockerlab.errors import DockerlabError, InvalidOption


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dockerlab",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="check the engine, registry, disk and base images")
    b = sub.add_parser("bases", help="make sure every catalog base image exists")
    b.add_argument("--force", action="store_true", help="rebuild even if present")
    b.add_argument("keys", nargs="*", help="catalog keys (default: all)")
    cl = sub.add_parser("cleanup", help="remove what your sessions made, keep the base images")
    cl.add_argument(
        "--all-sessions",
        action="store_true",
        help="every learner's sessions on this engine, not only yours",
    )
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
    sc = sub.add_parser("score", help="score a Dockerfile on every practice")
    sc.add_argument("path", nargs="?", help="a Dockerfile, or a folder holding one")
    sc.add_argument("--context", help="the build context folder (default: the Dockerfile's)")
    sc.add_argument(
        "--compare",
        nargs=2,
        metavar=("A", "B"),
        help="two Dockerfiles (or folders): their scorecards side by side",
    )
    cr = sub.add_parser("classroom", help="a rootless engine per learner on a workshop machine")
    cr.add_argument(
        "action", choices=["setup", "start", "status", "stop", "teardown", "kubernetes"]
    )
    cr.add_argument("names", nargs="*", help="the learners' logins (setup)")
    cr.add_argument("--memory", default="2g", help="each learner's memory, engine and server")
    cr.add_argument("--pids", type=int, default=1024, help="each learner's processes")
    cr.add_argument("--cpus", type=float, default=1.0, help="each learner's CPUs")
    cr.add_argument("--disk", default="8g", help="each learner's engine's disk")
    cr.add_argument("--images", nargs="*", help="catalog keys to load (default: every base)")
    cr.add_argument("--no-hub", action="store_true", help="no JupyterHub environment/config")
    cr.add_argument("--notebook-image", help="kubernetes: the learners' notebook image")
    cr.add_argument("--output", default="values.yaml", help="kubernetes: the values file")
    cr.add_argument("--registry", help="kubernetes: a registry serving the course's bases")
    cr.add_argument("--rootful", action="store_true", help="kubernetes: the engine as root")
    args = parser.parse_args(argv)

    try:
        return _run(args)
    except DockerlabError as err:
        print(f"dockerlab: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "with-engine":
        from dockerlab.engines.private import with_engine

        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        return with_engine(cmd)
    if args.command == "engine":
        from dockerlab.engines import private as private_engine

        if args.action == "start":
            print(private_engine.start())
        elif args.action == "stop":
            print(
                "stopped" if private_engine.stop() else "the kit's private engine was not running"
            )
        else:
            print(private_engine.status())
        return 0
    if args.command == "classroom":
        return _classroom(args)
    if args.command == "doctor":
        from dockerlab.classroom.checkup import doctor

        report = doctor()
        print(report)
        return 0 if report.ok else 1
    if args.command == "bases":
        from dockerlab.engines.bases import ensure

        ensure(args.keys or None, force=args.force)
        return 0
    if args.command in ("prefetch", "bundle", "load"):
        from dockerlab.classroom import workshop

        if args.command == "prefetch":
            workshop.prefetch()
        elif args.command == "bundle":
            workshop.bundle(args.file)
        else:
            workshop.load(args.file)
        return 0
    if args.command == "cleanup":
        from dockerlab.core.labels import learner
        from dockerlab.core.sessions import cleanup, cleanup_own

        if args.all_sessions:
            print("removed, of every session on this engine:", cleanup(all_sessions=True))
            return 0
        removed, others = cleanup_own()
        print(f"removed, of {learner()}'s sessions:", removed)
        if others:
            print(
                f"left {len(others)} other session(s) alone (other learners, test runs): "
                "`python -m dockerlab cleanup --all-sessions` removes every session's"
            )
        return 0
    if args.command == "leftovers":
        from dockerlab.core.sessions import leftovers

        left = leftovers(args.session)
        print(left)
        return 1 if any(left.values()) else 0
    if args.command == "score":
        return _score(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


def _score(args: argparse.Namespace) -> int:
    """``score PATH`` or ``score --compare A B``: exit 0 with the scorecard, partial or not."""
    from pathlib import Path

    import pandas as pd

    from dockerlab.scorecard import compare, score

    if not args.compare and not args.path:
        raise InvalidOption("score needs a Dockerfile: `score PATH` or `score --compare A B`.")
    if not args.compare:
        print(score(Path(args.path), args.context))
        return 0
    cards = {name: score(Path(name), args.context) for name in args.compare}
    if len(cards) < 2:
        raise InvalidOption("--compare needs two different Dockerfiles.")
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print("Scorecards side by side\n" + compare(cards).to_string())
    for name, card in cards.items():
        print(f"{name}: {card.summary()}")
        for why in dict.fromkeys(card.unmeasured.values()):
            print(f"  not measured: {why}")
        for note in card.notes:
            print(f"  note: {note}")
    return 0


def _classroom(args: argparse.Namespace) -> int:
    from dockerlab.classroom import learners as classroom

    if args.action == "kubernetes":
        from dockerlab.classroom import kubernetes

        if not args.notebook_image:
            raise InvalidOption("Name the learners' notebook image: --notebook-image NAME:TAG.")
        budget = classroom.Budget(args.memory, args.pids, args.cpus, args.disk)
        path = kubernetes.write_values(
            args.output,
            budget,
            notebook_image=args.notebook_image,
            rootless=not args.rootful,
            registry=args.registry,
        )
        print(f"Zero to JupyterHub values written to {path}")
        return 0
    if args.action == "setup":
        if not args.names:
            raise InvalidOption("Name the learners: `classroom setup alice bob ...`.")
        budget = classroom.Budget(args.memory, args.pids, args.cpus, args.disk)
        classroom.setup(args.names, budget, images=args.images, hub=not args.no_hub)
    elif args.action == "status":
        import pandas as pd

        from dockerlab.classroom import view as class_view

        print(pd.DataFrame(class_view.status()).to_string(index=False))
    else:
        getattr(classroom, args.action)()
    return 0


if __name__ == "__main__":
    sys.exit(main())
