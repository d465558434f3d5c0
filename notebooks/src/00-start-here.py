# %% [markdown]
# # Docker image best practices, measured
#
# Welcome. This course takes the usual advice about Docker images ("use a small
# base", "pin your versions", "don't bake in secrets", "use an init") and **tests
# each piece on a real Docker engine**. Every number you see is measured here, on
# your machine, when the cell runs; where a number comes from somewhere else (an
# article, a changelog), it says so.
#
# The advice comes from an article, *Making Docker Work in Your Computer
# Infrastructure* (Mind Matters, 2021). Some of it has aged: where a measurement
# disagrees with the article, the notebook shows both and says which holds today.
#
# ## How the kit works
#
# A small Python package, `dockerlab`, does the plumbing so the notebooks can read
# like the practice:
#
# | you want to...                    | call                                   |
# |-----------------------------------|----------------------------------------|
# | check your machine is ready       | `dl.doctor()`                          |
# | build an image from a Dockerfile  | `dl.build(dockerfile_text, files)`     |
# | run a command in a container      | `dl.run(image, command)`               |
# | measure size and attack surface   | `dl.measure(image)`, `dl.compare(...)` |
# | remove what the kit made          | `dl.cleanup()`                         |
#
# Every container the kit starts has **no network**, no extra privileges, and
# limits on memory, processes and time, so a mistake (a fork bomb, an endless
# loop) stops cleanly instead of hurting your machine. Everything it creates
# carries a label, and `dl.cleanup()` removes exactly that, never your own
# images or containers. Restarted a kernel halfway through a notebook? The next
# `dl.setup()` removes what the old kernel left. Type `dl.build?` in a cell to
# read any function's help.

# %%
import pandas as pd

import dockerlab as dl

dl.setup()  # the course's chart style, short error messages, a tidy engine

# %% [markdown]
# ## Is this machine ready?
#
# The doctor checks the Docker engine, whether BuildKit and a registry are
# available, the free disk, and the course's base images. A ✘ comes with what to
# do about it. A ⚠ is fine: the course adapts (for example, with no registry it
# builds its base images offline, from real Debian packages and a genuine Alpine
# root filesystem, instead of pulling them).

# %%
report = dl.doctor()
report

# %%
assert report.ok, "Something blocks the course: read the ✘ lines above."

# %% [markdown]
# ## The base images, and where they came from
#
# Each notebook measures these images. Their provenance matters: an image pulled
# from Docker Hub and one bootstrapped offline from the same Debian packages have
# the same contents but not the same bytes, so every number is shown next to
# where its image came from.

# %%
catalog = pd.DataFrame(
    [
        {
            "key": key,
            "image": entry.ref,
            "what": entry.description,
            "size (MB, on disk)": round(dl.size_on_disk(dl.ref(key)) / 1e6, 1),
            "provenance": dl.provenance(key),
        }
        for key, entry in dl.CATALOG.items()
    ]
).set_index("key")
catalog

# %% [markdown]
# ## A first container
#
# A quick check that containers really run: ask the Alpine image which system it
# is. (Override any catalog image with an environment variable, e.g.
# `DOCKERLAB_IMAGE_ALPINE=alpine:3.22`, before starting JupyterLab.)

# %%
hello = dl.run(dl.ref("alpine"), ["sh", "-c", "grep PRETTY_NAME /etc/os-release; uname -m"])
print(hello.output)
assert hello.ok and "Alpine" in hello.output

# %% [markdown]
# ## The path through the course
#
# One notebook per practice, each with the same shape: the claim, a measurement,
# a chart, what we learned, and a link to the matching exercise.
#
# | # | notebook | the practice |
# |---|----------|--------------|
# | 01 | [Smaller is better](01-smaller-is-better.ipynb) | size and attack surface of Debian, slim, Alpine and `FROM scratch` |
# | 02 | [Alpine and busybox](02-alpine-and-busybox.ipynb) | one binary behind many commands, musl instead of glibc, compressed vs on-disk sizes |
# | 03 | [Thread stacks and recursion](03-stack-size-and-recursion.ipynb) | musl's small thread stack crashes deep recursion that glibc survives |
# | 04 | [Static binaries FROM scratch](04-static-binaries-from-scratch.ipynb) | why a dynamic binary fails there, and what scratch lacks |
# | 05 | [PID 1, zombies and signals](05-pid1-zombies-and-signals.ipynb) | with and without an init: zombies, process slots, `docker stop` |
# | 06 | [One task per container](06-one-task-per-container.ipynb) | a web service and its cache, together and apart |
# | 07 | [Ephemeral containers](07-ephemeral-containers.ipynb) | what `docker rm` throws away, volumes, read-only roots |
# | 08 | [Layers and multi-stage builds](08-layers-and-multistage.ipynb) | every RUN/COPY/ADD is a layer; deleted files still cost bytes |
# | 09 | [Configuration and secrets](09-configuration-and-secrets.ipynb) | one image, many environments; how baked-in secrets leak |
# | 10 | [Keeping up with updates](10-keeping-up-with-updates.ipynb) | tags move, `latest` hides what you get, pin by digest, base age |
# | 11 | [Scanning images](11-scanning-images.ipynb) | package inventory (SBOM), vulnerabilities, lint |
#
# **Exercises** live in `exercises/` (one per group of practices, starting with
# [exercise 1](../exercises/01-smaller-images.ipynb)): you write a Dockerfile, call
# `q1.check(...)`, and the kit builds and measures *your* image against the target.
# `dl.progress()` shows which questions you have passed.
#
# **Instructors:** read `docs/instructor.md` (timings, preparing a room offline,
# common learner errors, JupyterHub). `python -m dockerlab cleanup --all-sessions`
# removes whatever the kit made on an engine, keeping the base images.

# %%
dl.cleanup()

# %% [markdown]
# Next: [01: Smaller is better](01-smaller-is-better.ipynb)
