# %% [markdown]
# # Exercise 3: PID 1, zombies and `docker stop`
#
# Practice for notebook [05: PID 1, zombies and signals](../notebooks/05-pid1-zombies-and-signals.ipynb).
#
# The app, `app.sh`, orphans five short children, says so, and then becomes `sleep`,
# which never reaps anyone and ignores SIGTERM as PID 1. Each check starts your
# container and, after a second, makes sure **the app ran** (its line is in the output,
# and its orphans existed: zero zombies proves nothing if nothing forked), then
# **counts the zombies** in its `/proc` and **times `docker stop`** (grace period **3 s**).
# The targets: **0 zombies**, and a stop **under 1 s**. So that a program which only
# says it did the work cannot pass, each check also orphans a few processes of its own in
# your container (it picks how many each time) and wants them reaped, and stops it with a
# signal it picks (`SIGTERM`, `SIGINT`, `SIGHUP`, `SIGUSR1` or `SIGUSR2`, unless your run
# options set `stop_signal`): an init passes it on to the app, and exits with the code that
# says the app died of it.

# %%
import dockerlab as dl
from dockerlab.exercises.init import ____, q1, q2

dl.setup()
print(q1.files["app.sh"][0])

# %% [markdown]
# ## Q1: an init inside the image
#
# The build context holds `app.sh` and `dumb-init.tar.gz`, the source of
# [dumb-init](https://github.com/Yelp/dumb-init) (one C file, `dumb-init.c`). Alpine
# has no package mirror here, so build dumb-init yourself (`musl-gcc -static`, in
# `dockerlab/builder:trixie`), and write an Alpine image that runs `app.sh` under it.

# %%
# BEGIN SOLUTION
# stub: dockerfile = ____
# SOLUTION: init.q1
# END SOLUTION
q1.check(dockerfile)

# %%
assert q1.passed  # solution-only

# %% [markdown]
# ## Q2: fix it at run time
#
# Here is an image you may **not** rebuild: Alpine and `app.sh`, no init.

# %%
print(q2.dockerfile)

# %% [markdown]
# Give the **run options** (a dict, as for `dl.start(image, **options)`) that make it
# reap its zombies and stop in under a second, with the app still running. You may set:
# `init`, `stop_signal`, `environment`, `user`, `entrypoint`. (Would
# `{"stop_signal": "SIGKILL"}` do? Try it.)

# %%
# BEGIN SOLUTION
# stub: options = ____
# SOLUTION: init.q2
# END SOLUTION
q2.check(options)

# %%
assert q2.passed  # solution-only

# %% [markdown]
# ## Done?
#
# Next: [Exercise 4: layers and multi-stage builds](04-layers-and-multistage.ipynb).
