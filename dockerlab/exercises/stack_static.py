"""Exercises for stack size and static binaries: a thread that recurses on Alpine, FROM scratch.

Both questions use ``recurse.c`` (notebook 03): it recurses in a thread, each
level holding a buffer of FRAME bytes, and dies with SIGSEGV (exit 139) when
the thread's stack runs out. musl gives a thread 128 KiB by default; glibc
gives it ``ulimit -s`` (8 MiB).

Every check builds the learner's Dockerfile on the real engine, runs and
measures the image, and removes it. Each first makes sure the program of the
build context did the recursion asked for: its own report of the depth it
reached, at a depth that changes from check to check, and then the crash a real
recursion cannot avoid (:func:`overflows`): asked to recurse through about
twice the thread stack it reported, with a frame size of this check's own, it
must die of SIGSEGV. A program that only prints the expected line never runs
out of stack. Then each measures the practice.
"""

from __future__ import annotations

import random
import re

from dockerlab import assets
from dockerlab.assets import recursion
from dockerlab.core.containers import run
from dockerlab.core.images import config, ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect import elf
from dockerlab.inspect.measuring import attack_surface, measure

__all__ = ["____", "q1", "q2"]

RECURSE = {"recurse.c": assets.text("recurse.c")}


def _entrypoint(img) -> list[str]:
    return list(config(img).get("Entrypoint") or [])


#: The largest thread stack the crash probe goes through (the container has 512 MiB).
MAX_PROBED_STACK = 64 * recursion.MiB


def overflows(img, output: str, entrypoint: list[str] | None = None) -> str | None:
    """Make sure the program really recurses: run it through about twice its stack.

    ``recurse`` reports its thread's stack (``thread stack: N bytes``); a run whose
    frames add up to about twice that must die of SIGSEGV, as only a real recursion
    does. The frame size is drawn for each check, so no fixed answer matches it.

    Args:
        img: The image.
        output: What its successful run printed (with the stack it reported).
        entrypoint: The program to run (default: the image's ENTRYPOINT).

    Returns:
        None if it crashed as a real recursion does; otherwise why not, in plain words.
    """
    stack = recursion.thread_stack(output)
    if not stack:
        return (
            f"its run printed no 'thread stack: N bytes' (got {output.strip()[:120]!r}), "
            "which recurse.c prints after recursing in its thread"
        )
    frame = random.choice(range(2048, 8192, 256))
    depth = min(stack, MAX_PROBED_STACK) * 2 // frame + random.randint(1, 64)
    probe = run(
        img,
        [str(frame), str(depth)],
        timeout=30,
        raise_on_timeout=False,
        # Not PID 1 (the engine's init is): a program qemu emulates (linux/arm64 on an
        # x86_64 machine) hangs as PID 1 where it should die of SIGSEGV, since qemu
        # re-raises the signal at itself and PID 1 ignores it. The init passes 139 on.
        init=True,
        **({"entrypoint": entrypoint} if entrypoint else {}),
        **recursion.CONTAINER_OPTIONS,
    )
    if probe.exit_code == recursion.SIGSEGV_EXIT:
        return None
    return (
        f"asked for {depth} levels of {frame} bytes (about twice the "
        f"{recursion.human(stack)} stack it reported), it exited with {probe.exit_code} "
        f"and printed {probe.output.strip()[:120]!r}; a real recursion runs out of stack "
        "there and dies of SIGSEGV (exit 139)"
    )


class StaticFromScratch(Question):
    title = "Q1: recurse FROM scratch"
    key = "stack_static.q1"  # where progress is saved: never changes
    files = RECURSE
    frame, depth = 256, 100
    hint_text = (
        "A program FROM scratch finds no libc and no loader: link it statically "
        f"(musl-gcc -static -pthread) in a build stage FROM {ref('builder')}, then "
        "`FROM scratch`, `COPY --from=...` the binary, and make it the ENTRYPOINT "
        '(exec form: ENTRYPOINT ["/recurse"]).'
    )
    solution_text = f"""
FROM {ref("builder")} AS build
COPY recurse.c /src/recurse.c
RUN musl-gcc -static -O0 -pthread -o /recurse /src/recurse.c

FROM scratch
COPY --from=build /recurse /recurse
ENTRYPOINT ["/recurse"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        with self.build(dockerfile) as img:
            entry = _entrypoint(img)
            if not entry:
                return self.outcome(
                    NOT_YET,
                    'The image has no ENTRYPOINT: set it to the program (ENTRYPOINT ["/recurse"]).',
                )
            surface = attack_surface(img)
            # A depth of this check's own (never the example's): only recurse can report it.
            depth = random.choice(
                [d for d in range(self.depth // 2, self.depth * 3 // 2) if d != self.depth]
            )
            result = run(
                img,
                [str(self.frame), str(depth)],
                timeout=20,
                raise_on_timeout=False,
                **recursion.CONTAINER_OPTIONS,
            )
            info = elf.inspect(img, entry[0])
            size = measure(img).size_mb
            fake = overflows(img, result.output) if result.ok else None
        if not result.ok or not re.search(
            rf"reached depth {depth} with {self.frame}-byte frames", result.output
        ):
            return self.outcome(
                NOT_YET,
                f"Running `{' '.join(entry)} {self.frame} {depth}` "
                f"gave exit code {result.exit_code}: "
                f"{result.output.strip()[:200]!r}; recurse.c prints "
                f"'reached depth {depth} with {self.frame}-byte frames'. "
                f"The program is {info.describe()}.",
            )
        if fake:
            return self.outcome(
                NOT_YET,
                f"`{' '.join(entry)}` printed the depth, but does it recurse? {fake}. "
                "Ship the program of recurse.c.",
            )
        if surface["files"] > 3 or surface["shells"]:
            return self.outcome(
                NOT_YET,
                f"It runs, in an image of {surface['files']} files with "
                f"{surface['shells']} shells: that is not FROM scratch. "
                "Try q1.hint().",
            )
        return self.outcome(
            PASSED,
            f"It runs FROM scratch: {surface['files']} file(s), no shell, "
            f"{size * 1000:.0f} kB. The program: {info.describe()}.",
        )


class DeepRecursionOnAlpine(Question):
    title = "Q2: deep recursion on Alpine"
    key = "stack_static.q2"  # where progress is saved: never changes
    files = RECURSE
    frame, depth = 1024, 400  # about 420 KB of stack: over musl's 128 KiB, under glibc's 8 MiB
    #: The depths a check draws from (its own each time): 300-500 KiB of frames.
    depths = range(300, 501)
    hint_text = (
        "musl's threads get 128 KiB of stack whatever `ulimit -s` says. musl reads a "
        "bigger default from the program itself: link with -Wl,-z,stack-size=1048576 "
        "(musl-gcc, in a builder stage), then COPY the binary onto Alpine as "
        "/usr/local/bin/recurse. (The program could also ask with pthread_attr_setstacksize.)"
    )
    solution_text = rf"""
FROM {ref("builder")} AS build
COPY recurse.c /src/recurse.c
RUN musl-gcc -O0 -fstack-clash-protection -pthread -Wl,-z,stack-size=1048576 \
    -o /recurse /src/recurse.c

FROM {ref("alpine")}
COPY --from=build /recurse /usr/local/bin/recurse
"""

    def _check(self, dockerfile: str) -> Outcome:
        with self.build(dockerfile) as img:
            where = run(
                img,
                ["sh", "-c", "cat /etc/alpine-release && command -v recurse"],
                entrypoint=[],
                timeout=20,
                raise_on_timeout=False,
            )
            lines = where.output.split()
            if where.exit_code != 0 or len(lines) < 2:
                return self.outcome(
                    NOT_YET,
                    "The image must be Alpine with `recurse` on its PATH "
                    f"(e.g. /usr/local/bin/recurse); got: "
                    f"{where.output.strip()[:200]!r}",
                )
            try:
                info = elf.inspect(img, lines[-1])
            except elf.NotElf:
                return self.outcome(
                    NOT_YET,
                    f"{lines[-1]} is not a program (ELF) but a script or "
                    "other file: build recurse.c itself so that its "
                    "threads get a bigger stack.",
                )
            depth = random.choice([d for d in self.depths if d != self.depth])
            result = run(
                img,
                [str(self.frame), str(depth)],
                entrypoint=["recurse"],
                timeout=30,
                raise_on_timeout=False,
                **recursion.CONTAINER_OPTIONS,
            )
            fake = overflows(img, result.output, ["recurse"]) if result.ok else None
        if info.interpreter and "musl" not in info.interpreter:
            return self.outcome(
                NOT_YET,
                f"{lines[-1]} is {info.describe()}: a glibc program, "
                "which Alpine cannot run. Build it with musl-gcc.",
            )
        probe = f"recurse {self.frame} {depth}"
        if result.exit_code == recursion.SIGSEGV_EXIT:
            return self.outcome(
                NOT_YET,
                f"`{probe}` died of SIGSEGV (exit 139): the thread's "
                f"stack ran out before depth {depth} "
                f"(about {self.frame * depth // 1024} KiB). "
                "Try q2.hint().",
            )
        if not result.ok:
            return self.outcome(
                NOT_YET,
                f"`{probe}` exited with {result.exit_code}: {result.output.strip()[:200]!r}",
            )
        wanted = f"reached depth {depth} with {self.frame}-byte frames; thread stack"
        if wanted not in result.output:
            return self.outcome(
                NOT_YET,
                f"`{probe}` exited cleanly but printed "
                f"{result.output.strip()[:200]!r}; recurse.c, recursing in "
                f"its thread, prints '{wanted}: ... bytes'. Is "
                f"{lines[-1]} the program of recurse.c?",
            )
        if fake:
            return self.outcome(
                NOT_YET,
                f"`{probe}` printed the right line, but does {lines[-1]} recurse? {fake}. "
                "Ship the program of recurse.c.",
            )
        size = recursion.thread_stack(result.output)
        return self.outcome(
            PASSED,
            f"On Alpine (musl, {info.linking}), the thread reached depth "
            f"{depth} with {self.frame}-byte frames (and ran out of stack, SIGSEGV, "
            "at about twice it); its stack: " + (recursion.human(size) if size else "?") + ".",
        )


q1, q2 = StaticFromScratch(), DeepRecursionOnAlpine()
