# %% [markdown]
# # 06: One task per container
#
# **The claim.** An image should be "geared for one task and one task only". The
# article's own example of what *not* to do: running "a web service and a
# caching server" out of the same container.
#
# Why would it matter? Both designs serve the same pages when all is well. The
# difference shows when something goes wrong. The engine watches **one process
# per container**, the first one (PID 1): it reports that process's state, keeps
# its exit code, restarts it under a restart policy, and collects its output as
# the container's log. Everything else in the container is invisible to it.
#
# **The test.** A small web service that keeps a visit counter in a small cache,
# deployed twice: both processes in one container, and one container each. Then
# we crash the cache, and look at what the engine shows, what the users get, and
# how long each design takes to come back.

# %%
import pandas as pd

import dockerlab as dl
from dockerlab import assets
from dockerlab.lessons import services

dl.setup()

# %% [markdown]
# ## Two small, real servers
#
# No network is needed (or allowed) here, so the two servers are short C
# programs, compiled statically in the builder image:
#
# - **`miniweb`**, the web service: `GET /health` answers `ok` by itself;
#   `GET /visits` asks the cache to count the visit and answers `visits: N`, or
#   `503 cache unavailable` when the cache does not answer.
# - **`minicache`**, the cache: a tiny key-value server that speaks like Redis
#   (`SET`, `GET`, `INCR`), including Redis's `DEBUG SEGFAULT`, a command that
#   crashes the server on purpose so that failures can be tested.

# %%
for name in ("miniweb.c", "minicache.c"):
    source = assets.text(name)
    print(source[: source.index("*/") + 2], "\n")

# %% [markdown]
# ## Two designs
#
# **Combined**: one image with both programs. The container's command starts the
# cache in the background and the web service in front (`minicache & exec
# miniweb`), so the web service is PID 1. A health check asks the web service
# whether it answers, which is what most health checks do.

# %%
print(services.dockerfile("combined"))

# %% [markdown]
# **Split**: one image per task. The cache needs nothing but its static binary,
# so its image is `FROM scratch`; the web image is the same as before without
# the cache.

# %%
print(services.FINAL_STAGES["web"].format(alpine=dl.ref("alpine")))
print(services.FINAL_STAGES["cache"])

# %% [markdown]
# Both designs run with no network. Containers can still talk over a shared
# **loopback**: a small "pod" container holds the network namespace and the
# services join it (`network="container:<pod id>"`), the way the containers of a
# Kubernetes pod share theirs. The pod also carries `probe`, an HTTP client we
# use to ask the web service questions from inside.

# %%
images = services.build_images()
one = services.combined(images)
two = services.split(images)

rows = []
for d in (one, two):
    rows.append(
        {
            "design": d.design,
            "containers": ", ".join(d.containers),
            "/health": str(d.get("/health")),
            "/visits": str(d.get("/visits")),
            "cache says (GET visits)": d.ask_cache("GET visits"),
        }
    )
pd.DataFrame(rows).set_index("design")

# %% [markdown]
# Same answers: from the outside, the two designs are the same service.
#
# ## The cache crashes
#
# We send the cache `DEBUG SEGFAULT` in both designs: a real crash (SIGSEGV) of
# the cache process. Then we give the engine time to run its health check twice,
# and look at what it reports: `docker ps` and `docker inspect` for the
# operator, and the two URLs for the users.

# %%
one.crash_cache()
two.crash_cache()
one.wait_health_checks("app", count=2)

seen = pd.DataFrame(
    [
        {
            "design": d.design,
            "container": name,
            **d.state(name),
            "/health": str(d.get("/health")),
            "/visits": str(d.get("/visits")),
        }
        for d in (one, two)
        for name in d.containers
    ]
).set_index(["design", "container"])
seen

# %% [markdown]
# Read the first row. The combined container is **running** and **healthy**, and
# its web service answers `/health`, yet every visit fails: the cache is dead
# inside it, and nothing the engine reports says so. A dashboard, an
# orchestrator or a load balancer looking at this container sees nothing wrong.
#
# In the split design the failure is where you would look first: the cache
# container is **exited**, with exit code **139** (128 + signal 11, SIGSEGV),
# while the web container is rightly running and its health check passes.

# %%
app, web, cache = one.state("app"), two.state("web"), two.state("cache")

# Combined: the container looks fine while the service is broken.
assert app["status"] == "running" and app["health"] == "healthy"
assert one.get("/health").ok and one.get("/visits").status == 503

# Split: the dead part is visible, with its exit code, and only that part is down.
assert cache["status"] == "exited" and cache["exit_code"] == 139
assert web["status"] == "running" and two.get("/health").ok
assert two.get("/visits").status == 503
print(
    f"combined: {app['status']} and {app['health']}; split cache: {cache['status']}, "
    f"exit code {cache['exit_code']}"
)

# %% [markdown]
# ## One log, or one per task
#
# The engine collects what PID 1 and its children write to stdout and stderr.
# In the combined container, both programs write into **one** stream: the cache's
# last words are mixed into the web service's lines, and nothing marks the crash
# except the web service's errors that follow it. (Our programs prefix their
# lines with `web:` and `cache:`; many real programs do not.)

# %%
print(one.logs("app"))

# %% [markdown]
# In the split design, `docker logs` of each container tells its own story:

# %%
print("--- docker logs web ---")
print(two.logs("web"))
print("--- docker logs cache ---")
print(two.logs("cache"))

# %%
combined_log, web_log, cache_log = one.logs("app"), two.logs("web"), two.logs("cache")
assert "cache: DEBUG SEGFAULT" in combined_log and "web: GET /visits" in combined_log
assert "cache:" not in web_log and "web:" not in cache_log
assert cache_log.rstrip().endswith("cache: DEBUG SEGFAULT")  # its last words, on their own

# %% [markdown]
# ## Bringing the cache back
#
# A **restart policy** tells the engine to restart a container when its main
# process exits (`on-failure`: when it exits with an error). It can only act on
# what it sees, the container's PID 1. In the combined container, PID 1 is the
# web service, which is fine, so even `always` does nothing there:

# %%
one["app"].set_restart_policy("always")
one.wait_health_checks("app", count=2)
print(one.state("app"), "/visits:", one.get("/visits"))
assert one.state("app")["restarts"] == 0 and one.get("/visits").status == 503

# %% [markdown]
# The only way back for the combined container is to restart **all** of it, the
# healthy web service included. For the split design, we replace the dead cache
# container by one with `restart_policy={"Name": "on-failure"}` (replacing,
# not repairing: see the next notebook).
#
# Now we time three ways back, three times each. While each runs, `probe` asks
# for `/health` and `/visits` from inside the pod, many times a second (the chart's
# caption gives its interval), and records how long each was down:
#
# 1. **split, restart policy**: we crash the cache; the engine restarts its container;
# 2. **split, restart the cache**: `docker restart` of the cache container alone;
# 3. **combined, restart everything**: `docker restart` of the combined container.

# %%
one["app"].restart(timeout=5)
one.wait_ready()
two.remove()
auto = services.split(images, restart_policy={"Name": "on-failure"})

REPEATS = 3
runs = []
for _ in range(REPEATS):
    runs.append(
        {
            "scenario": "split: cache crashes, restart policy",
            "design": "split",
            **auto.outage(auto.crash_cache),
        }
    )
restarts_by_policy = auto.state("cache")["restarts"]
for _ in range(REPEATS):
    runs.append(
        {
            "scenario": "split: restart the cache container",
            "design": "split",
            **auto.outage(lambda: auto["cache"].restart(timeout=5)),
        }
    )
for _ in range(REPEATS):
    runs.append(
        {
            "scenario": "combined: restart the whole container",
            "design": "combined",
            **one.outage(lambda: one["app"].restart(timeout=5)),
        }
    )
runs = pd.DataFrame(runs)
runs.groupby("scenario", sort=False)[["/visits", "/health"]].agg(["median", "min", "max"]).round(3)

# %%
fig = services.plot_outages(
    runs,
    caption=f"Measured on this engine ({REPEATS} repeats each), by a probe polling every 10 ms "
    "inside the pod. Restart-policy delay: 100 ms, doubling while a container keeps failing "
    "within 10 s (moby daemon/internal/restartmanager/restartmanager.go).",
)

# %% [markdown]
# What the chart shows:
#
# - **The restart policy works**: after each crash the engine restarted the cache
#   container by itself and visits came back, with no one watching. It takes a
#   little longer than a restart by hand because the engine waits before
#   restarting: 100 ms at first, twice as long each time the container fails
#   again within 10 s of starting, so a crash loop cannot eat the machine
#   (source: [restart policies](../docs/sources.md#restart-policies)).
# - **Restarting one part leaves the others alone**: in the split design,
#   `/health` was never down, whether the cache crashed or we restarted it. Any
#   page that does not need the cache kept working.
# - **Restarting the whole takes everything down**: the combined container's web
#   service went down with it on every restart.
# - **The cache itself comes back in about the same time either way**: a
#   container restart costs about the same time whatever is in it (the medians
#   are printed below), so the
#   gain of splitting is not speed but everything else staying up.

# %%
policy = runs[runs["scenario"].str.contains("restart policy")]
part = runs[runs["scenario"].str.contains("restart the cache")]
whole = runs[runs["design"] == "combined"]

# The restart policy restarted the cache after every crash, and it answers again.
assert restarts_by_policy == REPEATS and auto.get("/visits").ok
# Restarting (or losing) one part never took the web service down ...
assert (policy["/health"] == 0).all() and (part["/health"] == 0).all()
# ... restarting the whole container always did.
assert (whole["/health"] > 0).all()
# Visits came back after every restart, whichever part was restarted.
assert (runs["/visits"] > 0).all() and one.get("/visits").ok and auto.get("/visits").ok
print(
    f"visits back after: {part['/visits'].median() * 1000:.0f} ms (cache only) vs "
    f"{whole['/visits'].median() * 1000:.0f} ms (whole container); web down: 0 ms vs "
    f"{whole['/health'].median() * 1000:.0f} ms, median of {REPEATS}"
)

# %% [markdown]
# ## What we learned
#
# - The engine watches one process per container. Put two tasks in one
#   container and the second one can die unseen: the container stayed
#   **running and healthy** while every visit failed.
# - Split, each task has its own state, exit code (139 for our crash), log and
#   restart policy: the failure is visible, and the engine repairs it by itself.
# - Restarting one part leaves the rest serving; restarting a combined container
#   takes everything down, every time, until the whole container is back (the
#   web service's downtime is printed above).
# - The cost is one more container. Containers can share a loopback (as here, or
#   as a Kubernetes pod does), so splitting does not mean opening a network.
#
# **Exercise:** this practice has none of its own; the [capstone](../exercises/07-capstone.ipynb)
# puts every practice together on one Dockerfile.
#
# Previous: [05: PID 1, zombies and signals](05-pid1-zombies-and-signals.ipynb) ·
# Next: [07: Ephemeral containers](07-ephemeral-containers.ipynb)

# %%
one.remove()
auto.remove()
services.remove_images(images)
dl.cleanup()
