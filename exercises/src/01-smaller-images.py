# %% [markdown]
# # Exercise 1: smaller images
#
# Practice for notebooks [01: Smaller is better](../notebooks/01-smaller-is-better.ipynb)
# and [02: Alpine and busybox](../notebooks/02-alpine-and-busybox.ipynb).
#
# In each question you write a Dockerfile as text, and `check()` **builds it on the
# real engine, runs it and measures it** against the target. You see what was
# measured either way. Stuck? `q1.hint()`. Really stuck? `q1.solution()`.
#
# The kit removes every image it builds for a check, and every container runs with
# no network and limits, so experiment freely.

# %%
import dockerlab as dl
from dockerlab.exercises.smaller import ____, q1, q2, q3

dl.setup()

# %% [markdown]
# ## Q1: ship a program in under 1 MB
#
# The build context holds `hello.c`, a small C program (the one from notebook 01).
# Write a Dockerfile whose image **runs it** (it prints its greeting, then the names it
# sees in `/`) and weighs **under 1 MB**. The compiler image is
# `dockerlab/builder:trixie` (gcc and musl-gcc); Debian alone is far bigger
# (notebook 01 measures it).

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: smaller.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: pin the base
#
# `FROM alpine` means `FROM alpine:latest`, and `latest` moves: the same Dockerfile
# builds something else next month. Write a Dockerfile for an image that prints the
# Alpine release (`cat /etc/alpine-release`), with its base **pinned** to a
# version.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: smaller.q2
# END SOLUTION
q2.check(dockerfile)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Q3: one layer instead of five
#
# Each `RUN` below changes files, so each adds a filesystem layer with either
# builder (BuildKit adds one for every `RUN`; the legacy builder only for a `RUN`
# that changes files: notebook 08 shows both). This Dockerfile makes **five**
# layers on top of Alpine:

# %%
print(q3.starting_point)

# %% [markdown]
# Rewrite it so the image holds the **same result** (`/app/one.txt` and
# `/app/two.txt`, owned by the user `app`) in **one** layer on top of the base.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: smaller.q3
# END SOLUTION
q3.check(dockerfile)

# %%
assert q3.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Back to the course: [00: Start here](../notebooks/00-start-here.ipynb).
