# %% [markdown]
# # Exercise 2: stack size and static binaries
#
# Practice for notebooks [03: Stack size and recursion](../notebooks/03-stack-size-and-recursion.ipynb)
# and [04: Static binaries FROM scratch](../notebooks/04-static-binaries-from-scratch.ipynb).
#
# The build context holds `recurse.c` (from notebook 03): `recurse FRAME DEPTH` recurses
# DEPTH levels in a thread, each level holding FRAME bytes, and dies with SIGSEGV
# (exit code 139) when the thread's stack runs out. `check()` **builds your Dockerfile
# on the real engine, runs it and measures it**. Stuck? `q1.hint()`. Really stuck?
# `q1.solution()`.

# %%
import dockerlab as dl
from dockerlab.exercises.stack_static import ____, q1, q2

dl.setup()

# %% [markdown]
# ## Q1: the program alone, FROM scratch
#
# Write a Dockerfile whose image is **FROM scratch** (no shell, no libc, nothing but
# the program) and whose ENTRYPOINT is `recurse`: the check runs it with two
# arguments, a frame size and a depth (such as `256 100`; the depth changes from
# check to check), and reads the depth it reached. The compiler image is
# `dockerlab/builder:trixie` (gcc and musl-gcc). What does a program need to run with nothing around it?

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: stack_static.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: deep recursion on Alpine
#
# On Alpine, `recurse 1024 400` (400 levels of 1024 bytes each) crashes: musl gives a
# thread 128 KiB of stack (source: [musl thread stacks](../docs/sources.md#musl-thread-stacks)).
# Write a Dockerfile for an **Alpine** image with `recurse` on its PATH
# (e.g. `/usr/local/bin/recurse`) in which `recurse 1024 400` **survives**. You may
# not change the command line (no `-s`): the fix goes into how the program is built.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: stack_static.q2
# END SOLUTION
q2.check(dockerfile)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Next: [Exercise 3: init and zombies](03-init-and-zombies.ipynb).
