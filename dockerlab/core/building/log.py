"""Reading a build's log, either builder's: its steps, its tail, the step that failed.

:class:`BuildLog` reads the legacy builder's ``Step 3/5 : ...`` and BuildKit's
``#5 [2/3] ...`` alike, as the log comes, and shows each step on the build's
:class:`~dockerlab.core.building.progress_bar.BuildProgress`. The patterns of the lines that
other modules read too (a step's output, a cached step) are public here.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from dockerlab.core.building.progress_bar import BuildProgress

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours the engine puts on a step's stderr
_NOISE = re.compile(r"^( ---> |Removing intermediate container )")  # engine bookkeeping
_LEGACY_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_LEGACY_ID = re.compile(r"^ ---> ([0-9a-f]{12})$")
#: The legacy builder's line for a step taken from the build cache.
LEGACY_CACHED = "---> Using cache"
#: BuildKit's header of a step (a vertex): ``#5 [builder 2/3] RUN make``.
BUILDKIT_STEP = re.compile(r"^#(\d+) \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.*)$")
_BUILDKIT_ERROR = re.compile(r"^#(\d+) ERROR: ")
BUILDKIT_OUTPUT = re.compile(r"^#(\d+) \d+\.\d+ ")  # a step's output: "#5 0.231 text"
#: BuildKit's line for a vertex taken from the build cache (FROM included).
BUILDKIT_CACHED = re.compile(r"^#(\d+) CACHED$")
#: BuildKit's report after a failure names the failing step: `` > [2/2] RUN make:``.
_BUILDKIT_FAILED_STEP = re.compile(r"^ > \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.*):$")


@dataclass
class BuildLog:
    """The one reader of a build's log, either builder's: what it has told us so far.

    Feed it the log as it comes (:meth:`feed`), whole lines or pieces of them, and
    :meth:`flush` at the end. It shows each step on the progress display, keeps
    every line, the tail a failure shows (colours and the engine's bookkeeping left
    out) and the failing step, in the learner's numbering.

    Attributes:
        bar: Where steps and output lines are shown.
        label_steps: The legacy builder's last steps are the build's labels, one
            each: they are the kit's, not counted in the learner's steps.
        network: The build's steps have a network (for the failure's hint).
        step: The step running (or that failed): ``"Step 3/5 : RUN make"``.
        lines: Every line read.
        tail: The last lines worth showing.
        made: Legacy builder: the images this build created.
        image_id: Legacy builder: the image it made.
        failing: BuildKit: the failing step's last output lines and its ERROR line.
    """

    bar: BuildProgress
    label_steps: int = 1
    network: bool = False
    step: str | None = None
    lines: list[str] = field(default_factory=list)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=12))
    made: list[str] = field(default_factory=list)  # legacy: images this build created
    image_id: str | None = None
    _skip_next_id: bool = False  # legacy: the id after FROM or "Using cache" is not ours
    #: BuildKit: each vertex's step (``#5`` -> its ``[1/3] FROM ...``). BuildKit prints a
    #: vertex's header again when its output resumes after another's, so the last header
    #: is not always the running step; the failing one is the vertex of the ERROR line.
    _vertices: dict[str, tuple[int, int, str, str | None]] = field(default_factory=dict)
    _output: dict[str, deque[str]] = field(default_factory=dict)  # BuildKit: each vertex's
    #: BuildKit: the failing step's last output lines and its ERROR line, once it failed.
    failing: list[str] = field(default_factory=list)
    _reported: bool = False  # BuildKit: its summary named the failing step
    _pending: str = ""  # the start of a line whose end has not come yet

    def feed(self, text: str) -> None:
        """Read more of the log: whole lines, or a piece of one (the legacy builder's
        stream cuts a step's output wherever the step's writes ended)."""
        *whole, self._pending = (self._pending + text).split("\n")
        for piece in whole:
            for line in _ANSI.sub("", piece).splitlines() or [""]:
                self._read(line)

    def flush(self) -> None:
        """Read what is left of an unfinished last line (at the log's end)."""
        piece, self._pending = self._pending, ""
        for line in _ANSI.sub("", piece).splitlines():
            self._read(line)

    def _read(self, line: str) -> None:
        self.lines.append(line)
        if line.strip() and not _NOISE.match(line):
            self.tail.append(line)
        if m := _LEGACY_STEP.match(line):
            # The legacy builder's last steps are the build's labels: count only the learner's.
            n, total, instruction = int(m[1]), int(m[2]) - self.label_steps, m[3]
            if n <= total:
                self._step(n, total, instruction, None)
                self._skip_next_id = instruction.upper().startswith("FROM ")
        elif m := BUILDKIT_STEP.match(line):
            stage = m[2] if m[2] and not m[2].startswith("stage-") else None
            if m[1] not in self._vertices:  # a header printed again is not a new step
                self._vertices[m[1]] = (int(m[3]), int(m[4]), m[5], stage)
                self._step(int(m[3]), int(m[4]), m[5], stage)
        elif (m := _BUILDKIT_ERROR.match(line)) and m[1] in self._vertices:
            self._step(*self._vertices[m[1]], header=False)
            # What the failing step printed, then its error: BuildKit's summary after it
            # (the step again, the Dockerfile's lines) would push that out of the tail.
            self.failing = [*self._output.get(m[1], ()), line]
        elif (m := _BUILDKIT_FAILED_STEP.match(line)) and not self._reported:
            # BuildKit's own summary: the failing step whatever order its vertices
            # were printed in (the ERROR line's vertex can lack a header seen here).
            self._reported = True
            stage = m[1] if m[1] and not m[1].startswith("stage-") else None
            self._step(int(m[2]), int(m[3]), m[4], stage, header=False)
        elif (m := BUILDKIT_OUTPUT.match(line)) and m[1] in self._vertices:
            self._output.setdefault(m[1], deque(maxlen=10)).append(line)
            self.bar.line(BUILDKIT_OUTPUT.sub("", line))
        elif line.strip() == LEGACY_CACHED:
            self._skip_next_id = True
        elif m := _LEGACY_ID.match(line):
            if not self._skip_next_id:
                self.made.append(m[1])
            self._skip_next_id = False
        else:
            self.bar.line(BUILDKIT_OUTPUT.sub("", line))

    def _step(
        self, n: int, total: int, instruction: str, stage: str | None, header: bool = True
    ) -> None:
        where = f" ({stage})" if stage and stage != "internal" else ""
        self.step = f"Step {n}/{total}{where} : {instruction}"
        if self.tail and header:  # the header line just read, in the kit's words
            self.tail[-1] = self.step
        self.bar.step(n, total, instruction)


__all__ = [
    "BUILDKIT_CACHED",
    "BUILDKIT_OUTPUT",
    "BUILDKIT_STEP",
    "LEGACY_CACHED",
    "BuildLog",
]
