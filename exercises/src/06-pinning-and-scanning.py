# %% [markdown]
# # Exercise 6: pinning and linting
#
# Practice for notebook [11: Scanning images](../notebooks/11-scanning-images.ipynb)
# and [10: Keeping up with updates](../notebooks/10-keeping-up-with-updates.ipynb) (pinning).
#
# The build context holds `greeting.txt`. The first check runs **hadolint** (the real
# linter) on your Dockerfile; both then build, run and measure the image.

# %%
import dockerlab as dl
from dockerlab.exercises.supply_chain import ____, q1, q2

dl.setup()

# %% [markdown]
# ## Q1: hadolint-clean
#
# This Dockerfile gets five hadolint findings (`q1.check(q1.starting_point)` lists them):

# %%
print(q1.starting_point)

# %% [markdown]
# Rewrite it so hadolint reports **no warning and no error**, and the image still
# prints `greeting.txt` and holds `/srv/size.txt` (`greeting.txt` holds a new line at
# each check). A `# hadolint ignore=` comment hides a finding without fixing it: the
# check counts what it hides.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: supply_chain.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: pinned and small
#
# Write a Dockerfile whose image prints `greeting.txt`, with **every base pinned**
# (a tag that is not `latest`, or a digest) and **under 10 MB**.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: supply_chain.q2
# END SOLUTION
q2.check(dockerfile)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Next: [Exercise 7: the capstone](07-capstone.ipynb).
