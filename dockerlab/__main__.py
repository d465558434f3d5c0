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
    score ... --json       the same as JSON: each measure's value, verdict and message
    score ... --fail-under N   exit 1 if the score (percent of targets met) is under N;
                           exit 3 if the Dockerfile does not build, 2 on bad input
    classroom setup NAME... [--memory 2g --pids 1024 --cpus 1 --disk 8g --home 2g
                            --images KEY...]
                           (root) a workshop machine: a Unix user and a rootless engine
                           per learner, each in a budget of their own, and a JupyterHub
                           configuration; then start | status | stop | teardown
    grade SUBMISSIONS | --class [--csv F --json F --junit F --fail-under PERCENT]
                           regrade each learner's saved answers on this engine (never a
                           learner's): a folder with one folder per learner, or the class
                           of this machine; exit 1 if a learner is under PERCENT
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
    sc.add_argument("--json", action="store_true", help="print the scorecard(s) as JSON")
    sc.add_argument(
        "--fail-under",
        type=float,
        metavar="N",
        help="exit 1 if the score (percent of the targets met, 0-100) is under N",
    )
    cr = sub.add_parser("classroom", help="a rootless engine per learner on a workshop machine")
    cr.add_argument("action", choices=["setup", "start", "status", "stop", "teardown"])
    cr.add_argument("names", nargs="*", help="the learners' logins (setup)")
    cr.add_argument("--memory", default="2g", help="each learner's memory, engine and server")
    cr.add_argument("--pids", type=int, default=1024, help="each learner's processes")
    cr.add_argument("--cpus", type=float, default=1.0, help="each learner's CPUs")
    cr.add_argument("--disk", default="8g", help="each learner's engine's disk")
    cr.add_argument("--home", default="2g", help="each learner's home's disk")
    cr.add_argument("--workers", type=int, help="engines started at once (default: one per CPU)")
    cr.add_argument("--images", nargs="*", help="catalog keys to load (default: every base)")
    cr.add_argument("--no-hub", action="store_true", help="no JupyterHub environment/config")
    _grade_parser(sub)
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
    if args.command == "grade":
        return _grade(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


#: ``score``'s exit code when the Dockerfile does not build (a failing step, a timeout).
SCORE_BUILD_FAILED = 3


def _score(args: argparse.Namespace) -> int:
    """``score PATH`` or ``score --compare A B``: the scorecard, partial or not.

    Exit 0; 1 if ``--fail-under N`` and a score is under N; 3 if a Dockerfile does not
    build (:data:`SCORE_BUILD_FAILED`); 2 on bad input.
    """
    import json
    from pathlib import Path

    import pandas as pd

    from dockerlab.errors import BuildFailed
    from dockerlab.scorecard import compare, score

    if not args.compare and not args.path:
        raise InvalidOption("score needs a Dockerfile: `score PATH` or `score --compare A B`.")
    if args.fail_under is not None and not 0 <= args.fail_under <= 100:
        raise InvalidOption("--fail-under takes a score from 0 to 100 (percent of targets met).")
    names = args.compare or [args.path]
    cards = {}
    for name in names:
        try:
            cards[name] = score(Path(name), args.context)
        except BuildFailed as e:
            print(f"dockerlab: {name} does not build, so it was not scored.\n{e}", file=sys.stderr)
            if args.json:
                print(json.dumps({"label": name, "error": "build failed", "message": str(e)}))
            return SCORE_BUILD_FAILED
    if len(cards) < len(names):
        raise InvalidOption("--compare needs two different Dockerfiles.")
    if args.json:
        out = [card.to_dict() for card in cards.values()]
        print(json.dumps(out if args.compare else out[0], indent=2, ensure_ascii=False))
    elif not args.compare:
        print(cards[args.path])
    else:
        with pd.option_context("display.max_colwidth", 60, "display.width", 200):
            print("Scorecards side by side\n" + compare(cards).to_string())
        for name, card in cards.items():
            print(f"{name}: {card.summary()}")
            for why in dict.fromkeys(card.unmeasured.values()):
                print(f"  not measured: {why}")
            for note in card.notes:
                print(f"  note: {note}")
    under = [
        n for n, c in cards.items() if args.fail_under is not None and c.score < args.fail_under
    ]
    for name in under:
        print(
            f"dockerlab: {name} scores {cards[name].score:g} ({cards[name].summary()}), "
            f"under --fail-under {args.fail_under:g}.",
            file=sys.stderr,
        )
    return 1 if under else 0


def _classroom(args: argparse.Namespace) -> int:
    from dockerlab.classroom import learners as classroom

    if args.action == "setup":
        if not args.names:
            raise InvalidOption("Name the learners: `classroom setup alice bob ...`.")
        budget = classroom.Budget(args.memory, args.pids, args.cpus, args.disk, args.home)
        classroom.setup(args.names, budget, images=args.images, hub=not args.no_hub,
                        workers=args.workers)  # fmt: skip
    elif args.action == "status":
        import pandas as pd

        from dockerlab.classroom import view as class_view

        print(pd.DataFrame(class_view.status()).to_string(index=False))
    else:
        getattr(classroom, args.action)()
    return 0


def _grade_parser(sub) -> None:
    g = sub.add_parser("grade", help="regrade learners' saved answers on a trusted engine")
    g.add_argument("submissions", nargs="?", help="a folder with one folder per learner")
    g.add_argument(
        "--class",
        dest="whole_class",
        action="store_true",
        help="every learner of this machine's class (as root)",
    )
    g.add_argument("--csv", help="write the gradebook CSV here (Canvas, Moodle)")
    g.add_argument("--json", help="write every question's measurements and messages here")
    g.add_argument("--junit", help="write JUnit XML here (CI)")
    g.add_argument(
        "--fail-under",
        type=float,
        metavar="PERCENT",
        help="exit 1 if a learner passed fewer than PERCENT of the questions",
    )
    g.add_argument("--time-limit", type=float, help="seconds each question's check may take")
    g.add_argument(
        "--memory", default="2g", help="each learner's memory (folder; a class: its own)"
    )
    g.add_argument("--pids", type=int, default=1024, help="each learner's processes")
    g.add_argument("--cpus", type=float, default=1.0, help="each learner's CPUs")  # fmt: skip


def _grade(args: argparse.Namespace) -> int:
    """``grade``: regrade, write what was asked, print one line per learner."""
    from pathlib import Path

    from dockerlab.classroom import gradebook, grader, grades
    from dockerlab.classroom import learners as classroom

    if bool(args.submissions) == bool(args.whole_class):
        raise InvalidOption("grade needs a folder of submissions or --class (one of them).")
    limit = {"time_limit": args.time_limit} if args.time_limit else {}
    if args.whole_class:
        state = classroom.Class.load()
        graded = grader.regrade(
            grader.class_submissions(state),
            budget=state.budget,
            forbidden_hosts=tuple(x.docker_host for x in state.learners),
            **limit,
        )
        print(f"grades kept in {grades.save(graded)} (root's only)")
    else:
        budget = classroom.Budget(args.memory, args.pids, args.cpus)
        graded = grader.regrade(grader.folder_submissions(args.submissions), budget=budget, **limit)
    for flag, write in (("csv", gradebook.to_csv), ("json", gradebook.to_json),
                        ("junit", gradebook.to_junit)):  # fmt: skip
        if getattr(args, flag):
            Path(getattr(args, flag)).write_text(write(graded))
    for g in graded:
        print(f"{g.learner}: {g.points} of {g.possible} passed on regrade ({g.percent:g}%)")
    under = gradebook.below(graded, args.fail_under)
    if under:
        print(f"under {args.fail_under:g}%: {', '.join(under)}")
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
