# %% [markdown]
# # Exercise 4: layers and multi-stage builds
#
# Practice for notebook [08: Layers and multi-stage builds](../notebooks/08-layers-and-multistage.ipynb).
#
# The checks read your image **layer by layer** (the layer analyser of notebook 08):
# bytes that one layer writes and a later layer deletes still ship with the image.

# %%
import dockerlab as dl
from dockerlab.exercises.layers import ____, q1, q2

dl.setup()

# %% [markdown]
# ## Q1: no wasted bytes
#
# This Dockerfile writes a test fixture (zero bytes, as many KiB as the build argument
# `FIXTURE_KIB` says: the check picks a new size each time), uses it, and deletes it, in
# three layers:

# %%
print(q1.starting_point)

# %% [markdown]
# Rewrite it so the image holds the same `/checksum.txt` (the first 16 hex digits of
# the fixture's sha256), no fixture, **under 0.1 MB wasted**, in **one** layer on top
# of Alpine.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: layers.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: build with a compiler, ship without it
#
# The build context holds `ledger.c` and `ledger.csv` (the capstone's app). This
# Dockerfile works, but ships gcc and all of Debian with it:

# %%
print(q2.starting_point)

# %% [markdown]
# Write a Dockerfile whose image, run as is (the check sets `LEDGER_TOKEN`, a new one
# each time: the report is signed with it), **prints the same report**, holds **no
# build tools** (gcc, cc, ld, make...) and weighs **under 10 MB**.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: layers.q2
# END SOLUTION
q2.check(dockerfile)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Next: [Exercise 5: configuration and secrets](05-configuration-and-secrets.ipynb).
