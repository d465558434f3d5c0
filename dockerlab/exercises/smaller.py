"""Exercises for "smaller is better" and Alpine: size, pinned bases, fewer layers.

Every check builds the learner's Dockerfile on the real engine, runs and
measures the image, and removes it. Each first makes sure the image does its
task, with an input the answer cannot know in advance: Q1's program must list a
folder mounted for that run only; Q2's must print the release file the check
wrote into the container just before it started (a program that prints a
release it knows prints the wrong one); Q3's files are read with the image's
own ENTRYPOINT switched off. Then each measures the practice.
"""

from __future__ import annotations

import secrets

from dockerlab import assets
from dockerlab.core.containers import create, run
from dockerlab.core.dockerfile import base_images, unpinned
from dockerlab.core.images import ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect.measuring import measure

__all__ = ["____", "q1", "q2", "q3"]

GREETING = "hello from a static binary"


class ShipUnderOneMB(Question):
    title = "Q1: hello under 1 MB"
    key = "smaller.q1"  # where progress is saved: never changes
    files = {"hello.c": assets.text("hello.c")}
    target_mb = 1.0
    hint_text = (
        "The program needs no libc on disk if you link it statically (musl-gcc -static) "
        f"in a build stage FROM {ref('builder')}; then start the final stage FROM scratch "
        "and COPY --from the binary. Set it as the ENTRYPOINT."
    )
    solution_text = f"""
FROM {ref("builder")} AS build
COPY hello.c /src/hello.c
RUN musl-gcc -static -Os -o /hello /src/hello.c && strip /hello

FROM scratch
COPY --from=build /hello /hello
ENTRYPOINT ["/hello"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        # hello.c lists the names in /: a folder mounted there for this run only must be
        # among them, which only the program itself, run here and now, can print.
        mount = f"/check-{secrets.token_hex(3)}"
        with self.build(dockerfile) as img:
            size = measure(img).size_mb
            result = run(img, timeout=20, raise_on_timeout=False, tmpfs={mount: "size=64k"})
        if not result.output.startswith(GREETING):
            return self.outcome(
                NOT_YET,
                f"The image built ({size:.2f} MB) but running it printed {result.output.strip()[:200]!r} "
                f"(exit code {result.exit_code}); it should print {GREETING!r}.",
            )
        listed = result.output.partition("/ holds:")[2].split()
        if mount.lstrip("/") not in listed:
            return self.outcome(
                NOT_YET,
                "It prints the greeting, but not what hello.c prints after "
                "it: the names in / (the check mounted "
                f"{mount} for this run; got {result.output.strip()[:200]!r})."
                " Ship the program of hello.c.",
            )
        if size >= self.target_mb:
            return self.outcome(
                NOT_YET,
                f"It works, and weighs {size:.2f} MB; the target is under "
                f"{self.target_mb:g} MB. Try q1.hint().",
            )
        return self.outcome(PASSED, f"It prints the greeting and weighs {size * 1000:.0f} kB.")


class PinTheBase(Question):
    title = "Q2: a pinned base"
    key = "smaller.q2"  # where progress is saved: never changes
    hint_text = (
        "Name an exact version in every FROM: a specific tag such as alpine:3.23 (never "
        "`latest`, never no tag at all), or a digest (name@sha256:...)."
    )
    solution_text = f"""
FROM {ref("alpine")}
CMD ["cat", "/etc/alpine-release"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        bases = base_images(dockerfile)
        if not bases:
            return self.outcome(NOT_YET, "There is no FROM line with a base image to pin.")
        loose = [b for b in bases if unpinned(b)]
        if loose:
            return self.outcome(
                NOT_YET,
                f"Not pinned: {', '.join(loose)}. Without a tag you get "
                "`latest`, which moves. Try q2.hint().",
            )
        with self.build(dockerfile) as img:
            release = run(
                img,
                ["cat", "/etc/alpine-release"],
                entrypoint=[],
                timeout=20,
                raise_on_timeout=False,
            )
            if release.exit_code == 0:
                # The release file, rewritten in this container only: reading it is the task.
                planted = f"{release.output.strip()}-check.{secrets.randbelow(10**6)}"
                with create(img, role="exercise") as box:
                    box.copy_in("/etc", {"alpine-release": planted + "\n"})
                    box.start()
                    code = box.wait(20)
                    printed = box.logs()
        if release.exit_code != 0:
            return self.outcome(
                NOT_YET,
                f"Pinned, but the image has no /etc/alpine-release: its "
                f"base is not Alpine ({', '.join(bases)}).",
            )
        if code != 0 or printed.strip() != planted:
            return self.outcome(
                NOT_YET,
                f"Pinned, but run as is, the image printed "
                f"{printed.strip()[:200]!r} (exit code {code}); it should print the "
                "Alpine release in its /etc/alpine-release. For this run the check wrote "
                f"{planted!r} into that file: a program that reads it prints that.",
            )
        return self.outcome(
            PASSED,
            f"Every base is pinned: {', '.join(bases)}; the image prints "
            f"its Alpine release, {release.output.strip()}.",
        )


class FewerLayers(Question):
    title = "Q3: one layer instead of five"
    key = "smaller.q3"  # where progress is saved: never changes
    max_layers_added = 1
    starting_point = f"""
FROM {ref("alpine")}
RUN mkdir /app
RUN echo one > /app/one.txt
RUN echo two > /app/two.txt
RUN adduser -D app
RUN chown -R app /app
"""
    hint_text = "Chain the commands of the five RUN lines into one RUN with `&&`."
    solution_text = rf"""
FROM {ref("alpine")}
RUN mkdir /app \
 && echo one > /app/one.txt \
 && echo two > /app/two.txt \
 && adduser -D app \
 && chown -R app /app
"""

    def _check(self, dockerfile: str) -> Outcome:
        base_layers = measure(ref("alpine")).layers
        with self.build(dockerfile) as img:
            added = measure(img).layers - base_layers
            probe = run(
                img,
                ["sh", "-c", "stat -c '%U %n' /app/one.txt /app/two.txt && cat /app/*.txt"],
                entrypoint=[],  # the check's own command, never an ENTRYPOINT that prints
                timeout=20,
                raise_on_timeout=False,
            )
        expected = "app /app/one.txt\napp /app/two.txt\none\ntwo\n"
        if probe.output != expected:
            return self.outcome(
                NOT_YET,
                "The image does not hold the same result: /app/one.txt and "
                "/app/two.txt, owned by the user app. Got:\n" + probe.output.strip()[:300],
            )
        if added > self.max_layers_added:
            return self.outcome(
                NOT_YET,
                f"Same result, in {added} layers on top of the base; the "
                f"target is {self.max_layers_added}. Try q3.hint().",
            )
        return self.outcome(PASSED, f"Same result in {added} layer on top of the base.")


q1, q2, q3 = ShipUnderOneMB(), PinTheBase(), FewerLayers()
