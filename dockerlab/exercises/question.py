"""The exercise machinery: questions whose checks MEASURE the learner's answer.

Each question is a class with ``check(answer)``, ``hint()`` and ``solution()``
(after learntools' ``Problem``). ``check`` builds and runs what the learner wrote
on the real engine, measures it against the target, removes everything it made,
and returns one of three outcomes, each in plain words:

- **not attempted**: the answer is still the blank ``____``;
- **not yet**: what was measured, the target, and where to look (also when the
  Dockerfile does not parse, does not build, or takes too long);
- **passed**: what was measured.

A learner's mistake never raises: errors of the kit (:class:`DockerlabError`)
become a "not yet" with their message. ``q.passed`` tells whether the last check
passed (the solution notebooks assert it).
"""

from __future__ import annotations

from collections.abc import Mapping

from dockerlab.core.building import BuiltImage, FileSpec, build
from dockerlab.errors import BuildTimeout, DockerlabError
from dockerlab.exercises import progress_file
from dockerlab.exercises.outcome import NOT_ATTEMPTED, NOT_YET, Outcome


class Blank:
    """The placeholder a learner replaces: ``dockerfile = ____``."""

    def __repr__(self) -> str:
        return "____"


#: Write your answer in place of this.
____ = Blank()


class Question:
    """One exercise question. Subclasses set the texts and implement :meth:`_check`.

    Attributes:
        title: Short name shown in outcomes ("Q1: under 10 MB").
        key: Where the learner's progress on this question is saved ("smaller.q1"). Fixed
            once released: renaming the module, the class or the title leaves it as it is,
            so saved progress survives them; to change a key itself, add the old one to
            ``progress_file.RENAMED`` (``tests/unit/test_progress_keys.py`` checks both).
        files: Files the learner's build context gets (e.g. the program to ship).
        secrets: Build secrets (id -> value) a ``RUN --mount=type=secret`` may use.
        hint_text: What to try next, without giving the answer away.
        solution_text: A right answer (shown by :meth:`solution`). The exercise's solution
            notebook runs this very text: ``build_tools/notebooks.py`` copies this
            assignment's source into the answer cell (a ``# SOLUTION: module.qN`` marker),
            so it is written once, here. Its only names are catalog references
            (``{ref("alpine")}``); it is a raw f-string (``rf``) where a Dockerfile line
            goes on to the next with a backslash.
        solution_language: What :attr:`solution_text` is written in: ``"dockerfile"`` (the
            notebook sets ``dockerfile`` to it) or ``"python"`` (the notebook runs it).
        timeout: Seconds a learner's build may take.
    """

    title: str = "question"
    key: str = ""
    files: Mapping[str, FileSpec] = {}
    secrets: Mapping[str, str] = {}
    hint_text: str = ""
    solution_text: str = ""
    solution_language: str = "dockerfile"
    timeout: float = 300

    def __init__(self) -> None:
        self.last: Outcome | None = None

    @property
    def passed(self) -> bool:
        """True if the last check passed."""
        return self.last is not None and self.last.passed

    def check(self, answer) -> Outcome:
        """Measure ``answer`` against the target. Never raises for a learner's mistake."""
        if (
            isinstance(answer, Blank)
            or answer is None
            or (isinstance(answer, str) and "____" in answer)
        ):
            outcome = self.outcome(
                NOT_ATTEMPTED, "Replace ____ with your answer, then run the cell again."
            )
        else:
            try:
                outcome = self._check(answer)
            except BuildTimeout as e:
                outcome = self.outcome(
                    NOT_YET, f"Your build took too long and was stopped ({e.args[0]})"
                )
            except DockerlabError as e:
                outcome = self.outcome(NOT_YET, str(e))
        self.last = outcome
        if self.key and outcome.status != NOT_ATTEMPTED:  # an answer was measured: a try
            progress_file.record(self.key, outcome.passed)
        return outcome

    def _check(self, answer) -> Outcome:  # pragma: no cover - every question defines it
        raise NotImplementedError

    def outcome(self, status: str, message: str) -> Outcome:
        return Outcome(status, message, self.title)

    def build(self, dockerfile: str, buildargs: Mapping[str, str] | None = None) -> BuiltImage:
        """Build the learner's Dockerfile with the question's files (removed by the caller).

        A ``RUN --mount=type=secret`` gets the question's :attr:`secrets`, as
        ``docker build --secret id=...`` would give them (BuildKit builds it);
        ``buildargs`` are the ``--build-arg`` values the check picked.
        """
        secrets = self.secrets if "type=secret" in dockerfile else None
        return build(
            dockerfile,
            self.files,
            buildargs=buildargs,
            secrets=secrets,
            timeout=self.timeout,
            progress=True,
        )

    def hint(self) -> Outcome:
        """A nudge in the right direction."""
        return Outcome(NOT_ATTEMPTED, self.hint_text, f"{self.title}: hint")

    def solution(self):
        """One right answer, as Markdown."""
        from IPython.display import Markdown

        return Markdown(
            f"**{self.title}: one solution**\n\n"
            f"```{self.solution_language}\n{self.solution_text.strip()}\n```"
        )
