"""Exercises for configuration and secrets: the token at run time only, a non-root user.

The secret check searches every layer of the learner's image (files deleted
later included) and its config (environment, labels, history) for the token's
value, and for its common encodings (base64, base32, hex, URL-encoding,
reversed, gzip/zlib-compressed: :mod:`dockerlab.inspect.secret_forms`), with the
layer analyser (:func:`dockerlab.inspect.layers.analyse_and_search`).
Both checks then run the app and make sure it did its work: given a token at
run time (of a length that changes from check to check), it printed that
token's length, and its report names the user it ran as.
"""

from __future__ import annotations

import random
import secrets

from dockerlab.core.containers import run
from dockerlab.core.images import config, ref
from dockerlab.exercises.outcome import NOT_YET, PASSED, Outcome
from dockerlab.exercises.question import Question, ____
from dockerlab.inspect.layers import analyse_and_search

__all__ = ["____", "q1", "q2"]

#: A fake secret: the learner's build context holds it in token.txt.
TOKEN = "tok-FAKE-3f9a41c07be2"
APP = """#!/bin/sh
# Reads its configuration from the environment; the token is required.
if [ -z "$API_TOKEN" ]; then echo "app: API_TOKEN is not set" >&2; exit 3; fi
echo "app: token of ${#API_TOKEN} characters, greeting ${GREETING:-hello}"
mkdir -p /data && echo "report for $(id -un)" > /data/report.txt && cat /data/report.txt
"""


def run_time_token() -> str:
    """A token to give the app when it runs: a new one, of a new length, each check."""
    return "tok-RUN-" + secrets.token_hex(random.randint(4, 12))


def app_ran(output: str, token: str) -> bool:
    """True if app.sh itself ran with ``token``: it prints the token's length, then its report."""
    return f"app: token of {len(token)} characters" in output and "report for " in output


class TokenAtRunTime(Question):
    title = "Q1: no secret in the image"
    key = "config.q1"  # where progress is saved: never changes
    files = {"app.sh": (APP, 0o755), "token.txt": TOKEN + "\n"}
    secrets = {"api_token": TOKEN}  # for a build step that needs it: RUN --mount=type=secret
    starting_point = f"""
FROM {ref("alpine")}
COPY token.txt /run/token.txt
ENV API_TOKEN={TOKEN}
COPY app.sh /app.sh
RUN rm /run/token.txt
CMD ["/app.sh"]
"""
    hint_text = (
        "Nothing of the token may be in the image, in any form (base64 or another encoding "
        "is a copy too): no ENV or ARG with it, no COPY of token.txt "
        "(a later rm does not remove it from its layer). The app reads API_TOKEN from the "
        "environment: it is given when the container runs (docker run -e API_TOKEN=...)."
    )
    solution_text = f"""
FROM {ref("alpine")}
COPY app.sh /app.sh
ENV GREETING=hello
CMD ["/app.sh"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        with self.build(dockerfile) as img:
            _, hits = analyse_and_search(img, [TOKEN])
            token = run_time_token()
            result = run(img, environment={"API_TOKEN": token}, timeout=20, raise_on_timeout=False)
        if len(hits):
            places = "; ".join(
                (
                    f"layer {h.layer} ({h.instruction[:50]}): {h.path}"
                    if h.where == "layer"
                    else f"image config: {h.path}"
                )
                + ("" if h.form in ("plain", "named") else f" (as {h.form})")
                for h in hits.itertuples()
            )
            return self.outcome(
                NOT_YET,
                f"The token is in the image, {len(hits)} place(s): {places}. Try q1.hint().",
            )
        if not app_ran(result.output, token):
            return self.outcome(
                NOT_YET,
                "No token in the image, but run with API_TOKEN set (a "
                f"token of {len(token)} characters), it printed "
                f"{result.output.strip()[:200]!r} (exit code "
                f"{result.exit_code}); it should run /app.sh, which "
                f"prints 'app: token of {len(token)} characters' and "
                "its report.",
            )
        return self.outcome(
            PASSED,
            "Every layer and the config searched: no token. Given at run "
            "time, the app got it: " + result.output.splitlines()[0],
        )


class NonRootUser(Question):
    title = "Q2: not root"
    key = "config.q2"  # where progress is saved: never changes
    files = {"app.sh": (APP, 0o755)}
    hint_text = (
        "Create a user (Alpine: `adduser -D -u 10001 app`), give it the folder the app writes "
        "(/data), and switch to it with USER, by number or name, before CMD."
    )
    solution_text = f"""
FROM {ref("alpine")}
RUN adduser -D -u 10001 app && mkdir /data && chown app /data
COPY app.sh /app.sh
USER 10001
CMD ["/app.sh"]
"""

    def _check(self, dockerfile: str) -> Outcome:
        with self.build(dockerfile) as img:
            user = config(img).get("User") or ""
            uid = run(img, ["id", "-u"], entrypoint=[], timeout=20, raise_on_timeout=False)
            token = run_time_token()
            app = run(img, environment={"API_TOKEN": token}, timeout=20, raise_on_timeout=False)
        got = uid.output.strip()
        if not user:
            return self.outcome(
                NOT_YET,
                "The image sets no USER: its processes run as root "
                f"(id -u printed {got!r}). Try q2.hint().",
            )
        if got == "0" or not got.isdigit():
            return self.outcome(
                NOT_YET,
                f"The image's USER is {user!r}, and `id -u` in it printed "
                f"{got!r}: still root (or no such user).",
            )
        if not app.ok or "report for" not in app.output:
            return self.outcome(
                NOT_YET,
                f"It runs as uid {got}, but the app fails (exit "
                f"{app.exit_code}): {app.output.strip()[:200]!r}. Can "
                "that user write /data?",
            )
        if not app_ran(app.output, token):
            return self.outcome(
                NOT_YET,
                f"It runs as uid {got}, but not the app: given a token of "
                f"{len(token)} characters, it printed "
                f"{app.output.strip()[:200]!r}; /app.sh prints 'app: "
                f"token of {len(token)} characters' and its report.",
            )
        ran_as = (app.output.rsplit("report for ", 1)[-1].split() or [""])[0]
        if ran_as in ("root", "0"):
            return self.outcome(
                NOT_YET,
                f"The image's USER is {user!r}, but the app itself ran as "
                f"root (its report: 'report for {ran_as}'): the "
                "ENTRYPOINT or CMD switches back.",
            )
        return self.outcome(
            PASSED,
            f"USER {user}: `id -u` prints {got}, and the app works: "
            + app.output.strip().splitlines()[-1],
        )


q1, q2 = TokenAtRunTime(), NonRootUser()
