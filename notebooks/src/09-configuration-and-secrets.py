# %% [markdown]
# # 09: Configuration and secrets
#
# **The claim.** Build one image and configure it from outside: the same image
# runs in development, staging and production, and **secrets never go into the
# image**. This notebook checks both halves on the real engine:
#
# 1. one image, three environments, configured only by environment variables
#    and an env file: is it really the same image everywhere?
# 2. three common ways secrets get baked in (`ENV`, `ARG`, a file copied in and
#    deleted later), and where each one can still be read;
# 3. the fixes, measured: pass the secret at run time, or give it to one build
#    step with BuildKit's `RUN --mount=type=secret`, and prove it is in no layer.
#
# The "secret" is a throwaway value made up for this lesson,
# `FAKE-TOKEN-for-lesson-only`. To look for it we use the kit's layer analyser
# (`dockerlab.inspect.layers`, introduced in notebook 08): it searches every file of every
# layer of an image, including files that later layers deleted, and the image's
# config and history.

# %%
import os

import pandas as pd
from IPython.display import display

import dockerlab as dl
from dockerlab import assets
from dockerlab.inspect import layers
from dockerlab.lessons import configuration

dl.setup()
alpine = dl.ref("alpine")
TOKEN = "FAKE-TOKEN-for-lesson-only"  # a made-up value: never put a real secret in a notebook
print("base:", alpine, "-", dl.provenance("alpine"))
print(dl.describe_builders())

# %% [markdown]
# ## 1. One image, three environments
#
# The application (a shell script) reads its whole configuration from
# environment variables and prints it:

# %%
print(assets.text("config-app.sh"))

# %%
app_dockerfile = f"""FROM {alpine}
COPY config-app.sh /usr/local/bin/config-app
USER nobody
CMD ["config-app"]
"""
app = dl.build(
    app_dockerfile,
    {"config-app.sh": (assets.text("config-app.sh"), 0o755)},
    tag="dockerlab/config:app",
)
print("built", app.short_id)

# %% [markdown]
# Each environment has an **env file**: one `KEY=VALUE` per line, `#` for
# comments. `docker run --env-file FILE` reads it on the client and passes each
# `KEY=VALUE` line as an environment variable, with no `$` expansion (`$HOME`
# stays `$HOME`). A line with a bare `KEY` and no `=` is different: it passes the
# value `KEY` has **in the client's own environment** (the shell that ran
# `docker run`), and nothing if the client has none (source:
# [env files](../docs/sources.md#env-files)). So an env file can name a secret
# without holding it. The kit's `dl.run(..., environment=...)` takes the
# variables as a dict, so we read the files the way `docker` does, with this
# kernel as the client.

# %%
env_files = {
    "dev": "# dev.env\nAPP_ENV=dev\nLOG_LEVEL=debug\nDATABASE_URL=postgres://db.dev.example.invalid/app\nFEATURE_X=on\n",
    "staging": "# staging.env\nAPP_ENV=staging\nLOG_LEVEL=info\nDATABASE_URL=postgres://db.staging.example.invalid/app\nFEATURE_X=on\n",
    "prod": "# prod.env\nAPP_ENV=prod\nLOG_LEVEL=warning\nDATABASE_URL=postgres://db.prod.example.invalid/app\n",
}


def read_env_file(text: str, client_env=os.environ) -> dict:
    """What `docker run --env-file` does: KEY=VALUE per line, '#' lines and blank lines
    skipped, and a bare KEY takes the client's value (left out if the client has none)."""
    out = {}
    for line in (ln.lstrip() for ln in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        key, has_value, value = line.partition("=")
        if has_value:
            out[key] = value
        elif key in client_env:
            out[key] = client_env[key]
    return out


# A bare key, with a stand-in for the client's environment:
print(read_env_file("APP_ENV=dev\nLOG_LEVEL\nNOT_SET_ANYWHERE\n", {"LOG_LEVEL": "debug"}))
assert read_env_file("A=1\nB\nC\n", {"B": "from the client"}) == {"A": "1", "B": "from the client"}


runs = {}
for name, text in env_files.items():
    with dl.start(app, environment=read_env_file(text)) as box:
        exit_code = box.wait(timeout=30)
        runs[name] = {
            "image id": box.inspect()["Image"],
            "exit code": exit_code,
            "output": box.logs(),
        }

pd.DataFrame(
    {
        name: {
            "image id": r["image id"][7:19],
            "exit code": r["exit code"],
            **dict(line.split(":", 1) for line in r["output"].splitlines()),
        }
        for name, r in runs.items()
    }
)

# %% [markdown]
# Three environments, three configurations, **one image**: every container
# reports the same image id, the one we built. What was tested in staging is,
# byte for byte, what runs in production; only the environment differs.

# %%
ids = {r["image id"] for r in runs.values()}
assert ids == {app.id}, ids
assert all(r["exit code"] == 0 for r in runs.values())
outputs = [r["output"] for r in runs.values()]
assert len(set(outputs)) == 3, "each environment must see its own configuration"
assert (
    "environment: prod" in runs["prod"]["output"] and "feature x:   off" in runs["prod"]["output"]
)
print("same image in dev, staging and prod:", app.id)

# %% [markdown]
# ## 2. Three ways to bake a secret into an image
#
# Suppose the build (or the application) needs a token: to fetch a private
# dependency, say. Three tempting ways to hand it over:

# %%
token_file = {"api_token.txt": TOKEN + "\n"}
leaky = {
    "ENV in the Dockerfile": dl.build(
        f"FROM {alpine}\nENV API_TOKEN={TOKEN}\n"
        "RUN test -n \"$API_TOKEN\" && echo 'private dependency fetched' > /dependency.txt\n",
        tag="dockerlab/config:leaky-env",
    ),
    "ARG (--build-arg)": dl.build(
        f"FROM {alpine}\nARG API_TOKEN\n"
        "RUN test -n \"$API_TOKEN\" && echo 'private dependency fetched' > /dependency.txt\n",
        buildargs={"API_TOKEN": TOKEN},
        tag="dockerlab/config:leaky-arg",
    ),
    "file COPYed, then deleted": dl.build(
        f"FROM {alpine}\nCOPY api_token.txt /tmp/api_token.txt\n"
        "RUN test -s /tmp/api_token.txt && echo 'private dependency fetched' > /dependency.txt"
        " && rm /tmp/api_token.txt\n",
        token_file,
        tag="dockerlab/config:leaky-file",
    ),
}

# %% [markdown]
# **`ENV` and `ARG` values are in the history.** `docker history` (here
# `dl.history`) shows every instruction as it ran: the `ENV` line with its value,
# and for `ARG`, the `RUN` line carries the build arguments it saw
# (`|1 API_TOKEN=...`). Anyone who can pull the image can read them.

# %%
for name in ["ENV in the Dockerfile", "ARG (--build-arg)"]:
    print(f"--- {name} ---")
    print(dl.history(leaky[name]).to_string(index=False, max_colwidth=90))

# %% [markdown]
# The `ENV` value is also part of the image's configuration, so **every container**
# started from the image has it in its environment, and `docker inspect` prints it:

# %%
env_config = layers.analyse(leaky["ENV in the Dockerfile"]).config["config"]["Env"]
env_config

# %% [markdown]
# **A deleted file is still in its layer.** The third image copies the token in
# and deletes it in the next step. In a container, the file is gone:

# %%
print(dl.run(leaky["file COPYed, then deleted"], "ls -la /tmp").output)

# %% [markdown]
# But the `COPY` layer still holds it; the `RUN` layer only adds a whiteout that
# hides it. The analyser lists each layer's files, and reads the bytes back from
# the layer that added them:

# %%
copied = layers.analyse(leaky["file COPYed, then deleted"])
copied.files[copied.files["path"].str.contains("api_token")]

# %%
copy_layer = copied.layer_of("COPY")
recovered = layers.read_file(leaky["file COPYed, then deleted"], "/tmp/api_token.txt", copy_layer)
print(
    f"layer {copy_layer} ({copied.layers.loc[copy_layer, 'instruction']}) still holds:", recovered
)

# %% [markdown]
# One search over every layer and the config of each image shows where the token
# can be found:

# %%
found = {name: layers.search(img, TOKEN) for name, img in leaky.items()}
pd.concat(found, names=["image"]).droplevel(1)

# %%
assert any(TOKEN in by for by in dl.history(leaky["ENV in the Dockerfile"])["created_by"])
assert f"API_TOKEN={TOKEN}" in env_config
assert any(TOKEN in by for by in dl.history(leaky["ARG (--build-arg)"])["created_by"])
assert recovered.decode().strip() == TOKEN, "the deleted file is recovered from its layer"
assert "api_token" not in dl.run(leaky["file COPYed, then deleted"], "ls /tmp").output
for name, hits in found.items():
    assert not hits.empty, f"{name}: the token must be found"
print({name: f"found in {len(h)} place(s)" for name, h in found.items()})

# %% [markdown]
# ## 3. The fixes, measured
#
# ### Pass it at run time
#
# The image from section 1 has no token in it. Give the token to the container
# when it starts (`docker run -e API_TOKEN=...`, here `environment=`): the
# application gets it, the image never had it.

# %%
prod_env = {**read_env_file(env_files["prod"]), "API_TOKEN": TOKEN}
with dl.start(app, environment=prod_env) as box:
    box.wait(timeout=30)
    runtime_output = box.logs()
    container_env = box.inspect()["Config"]["Env"]  # what `docker inspect` shows
print(runtime_output)
app_hits = layers.search(app, TOKEN)
print("places the image holds the token:", len(app_hits))

# %% [markdown]
# The image is clean. One caveat: a run-time environment variable is part of
# the **container's** configuration, so anyone allowed to `docker inspect` it on
# that host can read it (and child processes inherit it). Orchestrators' secret
# stores (Docker Swarm and Kubernetes secrets) go one step further and mount
# the secret as a file; either way it stays out of the image.

# %%
assert "api token:   set (26 characters)" in runtime_output
assert app_hits.empty, "the token must be in no layer and not in the image config"
assert not any(TOKEN in by for by in dl.history(app)["created_by"])
assert f"API_TOKEN={TOKEN}" in container_env  # visible to `docker inspect` of the container
print("not in the image; in the running container's environment only.")

# %% [markdown]
# ### Give it to one build step: BuildKit secret mounts
#
# When the *build* needs the secret (to fetch a private dependency), BuildKit
# can mount it for a single `RUN` step, at `/run/secrets/<id>`. The file exists
# only while that step runs; it is written to no layer, and the history shows the
# command, not the value. The Python SDK's legacy builder cannot do this: it
# needs a BuildKit-capable docker CLI.

# %%
secret_dockerfile = f"""FROM {alpine}
RUN --mount=type=secret,id=api_token \\
    test -s /run/secrets/api_token && echo 'private dependency fetched' > /dependency.txt
"""
if "buildkit" in dl.available_builders():
    with_secret = dl.build(
        secret_dockerfile, secrets={"api_token": TOKEN}, tag="dockerlab/config:secret-mount"
    )
    secret_hits = layers.search(with_secret, TOKEN)
    secret_layers = layers.analyse(with_secret)
    print(dl.run(with_secret, "cat /dependency.txt").output)
    print("places the image holds the token:", len(secret_hits))
    display(secret_layers.layers[["instruction", "size", "added"]])
else:
    with_secret = None
    print(
        "No BuildKit-capable docker CLI on this machine, so this fix is explained, not run.\n"
        "Docker Desktop and Docker Engine 23+ build with BuildKit by default (`docker build "
        "--secret id=api_token,src=token.txt .`); Debian 12's docker.io CLI has it with "
        "DOCKER_BUILDKIT=1."
    )

# %%
if with_secret is not None:
    assert secret_hits.empty, "the secret must be in no layer, not in the config or history"
    assert not any(TOKEN in by for by in dl.history(with_secret)["created_by"])
    assert len(secret_layers.layers) == 2  # the base, and the RUN step's layer
    print("BuildKit secret mount: the build used the token; no layer, config or history holds it.")

# %% [markdown]
# ## Where the token was found, image by image

# %%
hits = {
    **found,
    "run-time env (fix)": app_hits,
    **({"BuildKit secret (fix)": secret_hits} if with_secret else {}),
}
fig, where = configuration.plot_search_hits(
    hits,
    title="Where each image holds the token",
    caption="Measured here with dockerlab.inspect.layers.search over every file of every layer, "
    "the image config and its history.",
)
where

# %% [markdown]
# ## What we learned
#
# - One image can serve every environment: configuration comes from environment
#   variables and env files at run time, and the image id stays the same.
# - `ENV` and `ARG` values are written into the image's history (and `ENV` into
#   its config): never use them for secrets.
# - Deleting a file in a later step hides it but keeps it: its layer still holds
#   the bytes, and anyone with the image can read them.
# - Pass secrets at run time, or, when the build needs them, mount them into one
#   step with BuildKit's `RUN --mount=type=secret`. Then search the image to
#   check: no layer and no history entry holds the secret.
#
# **Exercise:** [exercise 5](../exercises/05-configuration-and-secrets.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [08: Layers and multi-stage builds](08-layers-and-multistage.ipynb) ·
# Next: [10: Keeping up with updates](10-keeping-up-with-updates.ipynb)

# %%
for img in [app, *leaky.values(), *([with_secret] if with_secret else [])]:
    img.remove()
dl.cleanup()
