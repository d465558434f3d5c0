"""Exercises for layers and multi-stage builds: no wasted bytes, no compiler shipped.

The checks read the learner's image with the layer analyser
(:func:`dockerlab.inspect.layers.analyse`): bytes a layer stores that a later layer
deletes or overwrites still ship with the image ("wasted"). Each first makes
sure the image still does its task: Q1's checksum is the fixture's (the
fixture is zero bytes, as many KiB as the build argument ``FIXTURE_KIB`` says; the
check picks that size each time, so a checksum typed in does not pass, and computes
the checksum too); Q2's report is the one the ledger computes for a token that
changes from check to check.
"""

from __future__ import annotations

import hashlib
import secrets

from dockerlab.assets.capstone import CAPSTONE, ledger_report
from dockerlab.core.containers import run
from dockerlab.core.images import ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect import layers
from dockerlab.inspect.filesystem import filesystem
from dockerlab.inspect.measuring import commands_on_path, measure

__all__ = ["____", "q1", "q2"]


class NoWastedBytes(Question):
    title = "Q1: no wasted bytes"
    key = "layers.q1"  # where progress is saved: never changes
    max_wasted_mb = 0.1
    max_layers_added = 1
    #: The fixture's sizes the check picks from, in KiB (the Dockerfile's default: 8192).
    fixture_kib = range(4096, 12289)
    starting_point = f"""
FROM {ref("alpine")}
ARG FIXTURE_KIB=8192
RUN dd if=/dev/zero of=/tmp/fixtures.bin bs=1K count=$FIXTURE_KIB
RUN sha256sum /tmp/fixtures.bin | cut -c1-16 > /checksum.txt
RUN rm /tmp/fixtures.bin
"""
    hint_text = (
        "A file deleted in a later RUN is still stored in the layer that wrote it. "
        "Create, use and delete it in the SAME RUN, joined with &&."
    )
    solution_text = rf"""
FROM {ref("alpine")}
ARG FIXTURE_KIB=8192
RUN dd if=/dev/zero of=/tmp/fixtures.bin bs=1K count=$FIXTURE_KIB \
 && sha256sum /tmp/fixtures.bin | cut -c1-16 > /checksum.txt \
 && rm /tmp/fixtures.bin
"""

    def _check(self, dockerfile: str) -> Outcome:
        base_layers = measure(ref("alpine")).layers
        kib = secrets.choice(self.fixture_kib)  # a new size each check
        with self.build(dockerfile, {"FIXTURE_KIB": str(kib)}) as img:
            analysis = layers.analyse(img)
            probe = run(
                img,
                ["sh", "-c", "cat /checksum.txt; ls /tmp/fixtures.bin 2>&1"],
                entrypoint=[],
                timeout=20,
                raise_on_timeout=False,
            )
        lines = probe.output.splitlines()
        expected = hashlib.sha256(bytes(kib << 10)).hexdigest()[:16]
        if not lines or lines[0].strip() != expected:
            return self.outcome(
                NOT_YET,
                "The image must hold /checksum.txt with the first 16 hex "
                "digits of the fixture's sha256, as the starting point "
                f"writes it. This check built with --build-arg FIXTURE_KIB={kib}, "
                f"so the fixture is {kib} KiB of zero bytes and its checksum {expected} "
                "(keep the ARG and count=$FIXTURE_KIB). Got: "
                f"{probe.output.strip()[:200]!r}",
            )
        if "No such file" not in probe.output:
            return self.outcome(
                NOT_YET,
                "/tmp/fixtures.bin is still in the final image: delete it "
                "once the checksum is written.",
            )
        wasted = analysis.wasted_bytes / 1e6
        added = len(analysis.layers) - base_layers
        if wasted >= self.max_wasted_mb:
            top = analysis.top_wasted(1)
            where = (
                f" ({top['path'][0]}, added in layer {top['added_in'][0]}, removed in "
                f"{top['removed_in'][0]})"
                if len(top)
                else ""
            )
            return self.outcome(
                NOT_YET,
                f"{wasted:.2f} MB are wasted{where}; the target is under "
                f"{self.max_wasted_mb:g} MB. Try q1.hint().",
            )
        if added > self.max_layers_added:
            return self.outcome(
                NOT_YET,
                f"No waste, but {added} layers on top of the base; the "
                f"target is {self.max_layers_added}.",
            )
        return self.outcome(
            PASSED,
            f"{wasted * 1000:.0f} kB wasted, {added} layer on top of the "
            f"base; efficiency {analysis.efficiency:.1%}.",
        )


class NoCompilerShipped(Question):
    title = "Q2: build with a compiler, ship without it"
    key = "layers.q2"  # where progress is saved: never changes
    files = {
        "ledger.c": (CAPSTONE / "ledger.c").read_text(),
        "ledger.csv": (CAPSTONE / "ledger.csv").read_text(),
    }
    max_mb = 10.0
    compilers = frozenset({"gcc", "cc", "c99", "musl-gcc", "ld", "as", "make", "cpp"})
    starting_point = f"""
FROM {ref("builder")}
COPY ledger.c ledger.csv /app/
RUN gcc -O2 -o /usr/local/bin/ledger /app/ledger.c
CMD ["ledger", "--once", "/app/ledger.csv"]
"""
    hint_text = (
        "Two stages: compile in the first (FROM ... AS build, musl-gcc so the program runs on "
        f"Alpine, or -static for scratch); the final stage FROM {ref('alpine')} (or scratch) "
        "only COPY --from=build the program, and the CSV."
    )
    solution_text = f"""
FROM {ref("builder")} AS build
COPY ledger.c /src/
RUN musl-gcc -O2 -o /ledger /src/ledger.c

FROM {ref("alpine")}
COPY --from=build /ledger /usr/local/bin/ledger
COPY ledger.csv /app/
CMD ["ledger", "--once", "/app/ledger.csv"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        token = f"exercise-{secrets.token_hex(6)}"  # a new one each check: the report is signed
        expected = ledger_report(token, 1, csv=self.files["ledger.csv"])
        with self.build(dockerfile) as img:
            size = measure(img).size_mb
            tools = sorted(commands_on_path(filesystem(img)) & self.compilers)
            result = run(
                img, environment={"LEDGER_TOKEN": token}, timeout=20, raise_on_timeout=False
            )
        if expected not in result.output.splitlines():
            return self.outcome(
                NOT_YET,
                f"Run as is (with LEDGER_TOKEN set), the image printed "
                f"{result.output.strip()[:200]!r} (exit code "
                f"{result.exit_code}); it should print the ledger's report "
                f"for ledger.csv, signed with that token: "
                f"{expected!r}.",
            )
        if tools:
            return self.outcome(
                NOT_YET,
                f"It works, and ships build tools: {', '.join(tools)} "
                f"({size:.0f} MB). Try q2.hint().",
            )
        if size >= self.max_mb:
            return self.outcome(
                NOT_YET, f"No compiler, but {size:.1f} MB; the target is under {self.max_mb:g} MB."
            )
        return self.outcome(
            PASSED, f"It prints its report, ships no build tools, and weighs {size:.2f} MB."
        )


q1, q2 = NoWastedBytes(), NoCompilerShipped()
