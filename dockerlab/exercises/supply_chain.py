"""Exercises for pinning and linting: hadolint-clean, pinned, small.

hadolint (the real binary, :mod:`dockerlab.inspect.lint`) reads the Dockerfile, with
its ``# hadolint ignore=`` comments switched off (silencing a finding does not
fix it); the image is then built and run on the real engine, measured, and
removed. Each check makes sure the image still does its task: ``greeting.txt``
holds a new line each check, and the image must print that very file (and
Q1's ``size.txt`` must be ``wc -c``'s count of it).
"""

from __future__ import annotations

import random
import secrets

from dockerlab.core.containers import run
from dockerlab.core.dockerfile import base_images, unpinned
from dockerlab.core.images import ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect import lint
from dockerlab.inspect.measuring import measure

__all__ = ["____", "q1", "q2"]

GREETING = "pinned, linted, small\n"


class Greeting(Question):
    """A question whose build context holds ``greeting.txt``, new for each check."""

    greeting = GREETING

    @property
    def files(self) -> dict:  # type: ignore[override]
        return {"greeting.txt": self.greeting}

    def new_greeting(self) -> str:
        """A greeting of its own for this check (a new length too): only the file has it."""
        words = " ".join(secrets.token_hex(2) for _ in range(random.randint(1, 4)))
        self.greeting = f"pinned, linted, small: {words}\n"
        return self.greeting


class LintClean(Greeting):
    title = "Q1: hadolint-clean"
    key = "supply_chain.q1"  # where progress is saved: never changes
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
        findings = lint.lint(dockerfile, pragmas=False)
        serious = findings[findings["level"].isin(["error", "warning"])]
        if len(serious):
            listed = "; ".join(f"line {r.line} {r.code}: {r.message}" for r in serious.itertuples())
            silenced = (
                " (`# hadolint ignore=` comments do not count here: fix what they hide)"
                if "hadolint" in dockerfile and "ignore" in dockerfile
                else ""
            )
            return self.outcome(
                NOT_YET, f"hadolint reports {len(serious)} warning(s)/error(s){silenced}: {listed}"
            )
        greeting = self.new_greeting()
        with self.build(dockerfile) as img:
            result = run(img, timeout=20, raise_on_timeout=False)
            size = run(
                img, ["cat", "/srv/size.txt"], entrypoint=[], timeout=20, raise_on_timeout=False
            )
        counted = f"{len(greeting)} greeting.txt"
        if result.output != greeting or size.output.strip() != counted:
            return self.outcome(
                NOT_YET,
                "hadolint is happy, but the image does not do the same: "
                f"it printed {result.output.strip()[:200]!r} (greeting.txt "
                f"holds {greeting.strip()!r} this time), and "
                f"/srv/size.txt holds {size.output.strip()[:100]!r} "
                f"(`wc -c greeting.txt` writes {counted!r}).",
            )
        notes = f" ({len(findings)} info/style notes left)" if len(findings) else ""
        return self.outcome(PASSED, f"No hadolint warning or error{notes}; it prints the greeting.")


class PinnedAndSmall(Greeting):
    title = "Q2: pinned and small"
    key = "supply_chain.q2"  # where progress is saved: never changes
    max_mb = 10.0
    hint_text = (
        "Every FROM needs an exact tag (not `latest`, not none) or a digest; and the "
        "smallest base of the catalog that has `cat` is Alpine."
    )
    solution_text = f"""
FROM {ref("alpine")}
COPY greeting.txt /
CMD ["cat", "/greeting.txt"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        loose = [b for b in base_images(dockerfile) if unpinned(b)]
        if loose:
            return self.outcome(
                NOT_YET,
                f"Not pinned: {', '.join(loose)} (no tag means `latest`, "
                "which moves). Try q2.hint().",
            )
        greeting = self.new_greeting()
        with self.build(dockerfile) as img:
            size = measure(img).size_mb
            result = run(img, timeout=20, raise_on_timeout=False)
        if result.output != greeting:
            return self.outcome(
                NOT_YET,
                f"Pinned, but it printed {result.output.strip()[:200]!r} "
                f"instead of greeting.txt ({greeting.strip()!r} this "
                "time).",
            )
        if size >= self.max_mb:
            return self.outcome(
                NOT_YET,
                f"Pinned and working, and {size:.1f} MB; the target is under {self.max_mb:g} MB.",
            )
        return self.outcome(PASSED, f"Every base pinned, it prints the greeting, {size:.2f} MB.")


q1, q2 = LintClean(), PinnedAndSmall()
