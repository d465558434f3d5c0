# %% [markdown]
# # Exercise 5: configuration and secrets
#
# Practice for notebook [09: Configuration and secrets](../notebooks/09-configuration-and-secrets.ipynb).
#
# The app, `app.sh`, reads its configuration from the environment; `API_TOKEN` is
# required. The build context also holds `token.txt`, a (fake) token: tempting.
# The first check **searches every layer of your image and its config** for the token.

# %%
import dockerlab as dl
from dockerlab.exercises.config import TOKEN, ____, q1, q2

dl.setup()
print(q1.files["app.sh"][0])

# %% [markdown]
# ## Q1: no secret in the image
#
# This Dockerfile leaks the token twice (a `rm` in a later layer does not remove a file
# from the layer that added it):

# %%
print(q1.starting_point.replace(TOKEN, "<the token>"))

# %% [markdown]
# Write a Dockerfile that runs `/app.sh` and holds **no trace of the token**: the
# check gives `API_TOKEN` when it runs the container, where a secret belongs (a token
# of its own each time: the app must print its length).

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: config.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: not root
#
# Write a Dockerfile that runs `/app.sh` as a **user who is not root** (the check
# reads the image's `USER` and runs `id -u` in it). The app writes `/data/report.txt`:
# that user must be able to.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: config.q2
# END SOLUTION
q2.check(dockerfile)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Next: [Exercise 6: pinning and linting](06-pinning-and-scanning.ipynb).
