# %% [markdown]
# # Exercise 7: the capstone
#
# Every practice of the course, on one real app. `ledger` (C, in
# `dockerlab/assets/capstone/`) totals a CSV ledger and prints a signed report. It
# reads its configuration from the environment: `LEDGER_TOKEN` (a secret, required),
# `LEDGER_CURRENCY`, `LEDGER_INTERVAL_MS`. As a service it hands each report to an
# orphaned worker, so it needs a PID 1 that reaps.
#
# Its Dockerfile works, and breaks nearly every rule of the course. **Rewrite it.**
# The scorecard reads a Dockerfile first: hadolint findings, unpinned bases, secrets in
# ARG/ENV/LABEL, the instructions and the layers they add, the USER, an init. Then it
# builds the image and **measures** it: size, layers, wasted bytes, packages, shells,
# places holding the token, whether the app did its work (its reports, signed with the
# token given at run time), zombies after running, `docker stop` time, and the uid of
# PID 1. The same scorecard works on any Dockerfile:
# `python -m dockerlab score PATH/TO/Dockerfile` (its folder is the build context, as
# for `docker build`; `--compare A B` puts two side by side).

# %%
import dockerlab as dl
from dockerlab import scorecard

dl.setup()
print((scorecard.CAPSTONE / "Dockerfile").read_text())

# %% [markdown]
# ## Before: the starting point, measured
#
# `FROM dockerlab/builder` means `dockerlab/builder:latest`, which an offline engine
# does not have: the scorecard then builds with the catalog's compiler image
# (`dl.ref("builder")`) **for the measurement only**, and says so in a note; hadolint
# and the pinning check read the Dockerfile as written.

# %%
before = scorecard.score(scorecard.CAPSTONE / "Dockerfile", label="before")
before

# %% [markdown]
# Where is the token? Every layer's files (deleted ones too) and the image config
# (environment, history) are searched:

# %%
before.secret_hits

# %% [markdown]
# ## After: your Dockerfile
#
# The build context is the capstone folder (`ledger.c`, `ledger.csv`) plus
# `dumb-init.tar.gz` (dumb-init's source, as in exercise 3). The scorecard runs your
# image with `LEDGER_TOKEN` given at run time. Start from the bad Dockerfile's text
# below, fix it, run the cell again; aim for every target.

# %%
# BEGIN SOLUTION
# stub: dockerfile = (scorecard.CAPSTONE / "Dockerfile").read_text()  # start here: edit this text
# SOLUTION: assets.capstone.SOLUTION
# END SOLUTION
after = scorecard.score(dockerfile, scorecard.CAPSTONE, label="after")
after

# %% [markdown]
# ## Side by side

# %%
scorecard.compare({"before": before, "after": after})

# %%
fig = scorecard.plot({"before": before, "after": after})

# %%
assert after.passed == scorecard.TARGETS  # solution-only
assert after["size_mb"] < before["size_mb"] / 100 and after["zombies"] == 0  # solution-only
assert before["secrets"] > 0 and before["zombies"] > 0 and before["uid"] == 0  # solution-only

# %% [markdown]
# ## A real-world Dockerfile
#
# `python-alpine.Dockerfile` (in `dockerlab/assets/`) is written in the style of the
# official `python:3.13-alpine` image's Dockerfile: Python built from source on a pinned
# Alpine. Its steps download (`apk add`, `wget`), and builds here have no network, so
# the scorecard cannot build it. It still scores what the Dockerfile's text shows, and
# says for each row it could not measure why.

# %%
print(scorecard.PYTHON_ALPINE.read_text())

# %%
real = dl.score(scorecard.PYTHON_ALPINE, label="python-alpine")
real

# %%
print(*real.network, sep="\n")  # the steps that download

# %%
assert not real.built and real.unmeasured["size_mb"].startswith("needs the network: apk add")
assert real["unpinned"] == 0 and real["user"] == "" and real["hadolint"] > 0

# %% [markdown]
# ## Done?
#
# Back to the course: [00: Start here](../notebooks/00-start-here.ipynb). The scorecard
# works on your own projects too: `python -m dockerlab score path/to/Dockerfile`.
