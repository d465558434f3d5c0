"""Exercises for pinning and linting: hadolint-clean, pinned, small.

hadolint (the real binary, :mod:`dockerlab.lint`) reads the Dockerfile; the
image is then built and run on the real engine, measured, and removed.
"""

from __future__ import annotations

from .. import lint
from ..containers import run
from ..images import ref
from ..measure import measure
from ..scorecard import parse_bases, unpinned
from .core import NOT_YET, PASSED, Outcome, Question, ____

__all__ = ["____", "q1", "q2"]

GREETING = "pinned, linted, small\n"


class LintClean(Question):
    title = "Q1: hadolint-clean"
    files = {"greeting.txt": GREETING}
    starting_point = """
FROM alpine:latest
MAINTAINER you@example.com
ADD greeting.txt /srv/
RUN cd /srv && wc -c greeting.txt > size.txt
CMD cat /srv/greeting.txt
"""
    hint_text = (
        "Read each finding's code: DL3007 pin the tag; DL4000 MAINTAINER is deprecated "
        "(a LABEL if you want one); DL3020 COPY, not ADD, for local files; DL3003 WORKDIR, "
        'not cd; DL3025 CMD in JSON form (CMD ["cat", "/srv/greeting.txt"]).'
    )
    solution_text = f"""
FROM {ref("alpine")}
LABEL org.opencontainers.image.authors="you@example.com"
WORKDIR /srv
COPY greeting.txt .
RUN wc -c greeting.txt > size.txt
CMD ["cat", "/srv/greeting.txt"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        findings = lint.lint(dockerfile)
        serious = findings[findings["level"].isin(["error", "warning"])]
        if len(serious):
            listed = "; ".join(f"line {r.line} {r.code}: {r.message}" for r in serious.itertuples())
            return self.outcome(NOT_YET, f"hadolint reports {len(serious)} warning(s)/error(s): "
                                         f"{listed}")  # fmt: skip
        with self.build(dockerfile) as img:
            result = run(img, timeout=20, raise_on_timeout=False)
            size = run(img, ["cat", "/srv/size.txt"], entrypoint=[], timeout=20,
                       raise_on_timeout=False)  # fmt: skip
        if result.output != GREETING or not size.output.startswith(str(len(GREETING))):
            return self.outcome(NOT_YET, "hadolint is happy, but the image does not do the same: "
                                         f"it printed {result.output.strip()[:200]!r}, and "
                                         f"/srv/size.txt holds {size.output.strip()[:100]!r}.")  # fmt: skip
        notes = f" ({len(findings)} info/style notes left)" if len(findings) else ""
        return self.outcome(PASSED, f"No hadolint warning or error{notes}; it prints the greeting.")


class PinnedAndSmall(Question):
    title = "Q2: pinned and small"
    files = {"greeting.txt": GREETING}
    max_mb = 10.0
    hint_text = (
        "Every FROM needs an exact tag (not `latest`, not none) or a digest; and the "
        "smallest base of the catalog that has `cat` is Alpine."
    )
    solution_text = f'FROM {ref("alpine")}\nCOPY greeting.txt /\nCMD ["cat", "/greeting.txt"]\n'

    def _check(self, dockerfile: str) -> Outcome:
        loose = [b for b in parse_bases(dockerfile) if unpinned(b)]
        if loose:
            return self.outcome(NOT_YET, f"Not pinned: {', '.join(loose)} (no tag means `latest`, "
                                         "which moves). Try q2.hint().")  # fmt: skip
        with self.build(dockerfile) as img:
            size = measure(img).size_mb
            result = run(img, timeout=20, raise_on_timeout=False)
        if result.output != GREETING:
            return self.outcome(NOT_YET, f"Pinned, but it printed {result.output.strip()[:200]!r} "
                                         "instead of greeting.txt.")  # fmt: skip
        if size >= self.max_mb:
            return self.outcome(NOT_YET, f"Pinned and working, and {size:.1f} MB; the target is "
                                         f"under {self.max_mb:g} MB.")  # fmt: skip
        return self.outcome(PASSED, f"Every base pinned, it prints the greeting, {size:.2f} MB.")


q1, q2 = LintClean(), PinnedAndSmall()
