# %% [markdown]
# # 10: Keeping up with updates
#
# **The claim.** The article says to *always check that your Dockerfile uses the
# latest version of its base image*, but not by writing `latest`: that tag
# "reduces the visibility of what exactly is on your image". Instead, pin a
# version and check regularly whether a newer one exists.
#
# **The test.** Five parts, all on the real engine and a real registry:
#
# 1. **Tags move.** We push an image as `lesson/app:1.0` and `:latest` to a
#    registry on your engine, then a changed one as `:1.1` and `:latest`.
#    `latest` now gives something else; a **digest** pin gives the same bytes.
# 2. **hadolint** flags bases with no tag (`DL3006`) or `latest` (`DL3007`).
# 3. **Is there a newer base?** A checker reads a Dockerfile's `FROM` lines and
#    asks the registry whether the pinned tag or digest is still the newest.
# 4. **How old is my base, and what changes when it is updated?** We date each
#    image and every package in it, then build the same Dockerfile on the older
#    Debian (12, bookworm) and on the current one (13, trixie), and list the
#    packages that changed and the CVEs their changelogs name as fixed.
# 5. **The article's two other tips**: upgrade a package in the Dockerfile with the
#    distribution's package manager, and scan images on a schedule. We measure what
#    the upgrade line adds and what it leaves, and scan one unchanged image against
#    the vulnerability data of several days.
#
# **How to read it.** Parts 1 to 3, the start of section 5 (what changes inside
# when the base is updated) and sections 6 and 7 are the main path. The parts titled *Going deeper
# (optional)* read package dates and changelogs: skim them on a first pass, but run
# every cell, since later cells and the checks use them.

# %%
import pandas as pd
from IPython.display import display

import dockerlab as dl
from dockerlab.inspect import lint
from dockerlab.lessons import freshness
from dockerlab.registry import server as registry_server

dl.setup()
alpine = dl.ref("alpine")

# %% [markdown]
# ## 1. Tags move, digests do not
#
# A **tag** (`1.0`, `latest`) is a name the registry lets anyone with push rights
# point at any image, at any time. A **digest** (`sha256:...`) is the hash of
# the image's manifest, which itself lists the hashes of the config and every
# layer: change one byte and the digest changes. So `image@sha256:...` can only
# ever mean one image.
#
# We run a real registry (the distribution registry: the official `registry:2` image,
# or Debian's `docker-registry` package in an image the kit builds offline) as a
# container on the engine's own `127.0.0.1`, and two versions of a tiny "app": an
# Alpine image whose only difference is the version file it prints.

# %%
app_dockerfile = f"""
FROM {alpine}
COPY version.txt /version.txt
CMD ["cat", "/version.txt"]
"""
v1 = dl.build(app_dockerfile, {"version.txt": "app 1.0\n"}, tag="dockerlab/freshness-app:1.0")
v2 = dl.build(app_dockerfile, {"version.txt": "app 1.1\n"}, tag="dockerlab/freshness-app:1.1")

reg = registry_server.LocalRegistry().start()
print("registry:", reg.url)

# %% [markdown]
# **"Monday":** version 1.0 is released, as `:1.0` and as `:latest`. A user pulls
# `latest` and, being careful, writes down the digest it pointed at. (Monday and
# Tuesday are a few seconds apart here; on a real registry, days or months.)

# %%
tags = ["latest", "1.0", "1.1"]
timeline, pulls = {}, {}
reg.push(v1, "lesson/app", "1.0")
first = reg.push(v1, "lesson/app", "latest")
pinned = first.pinned  # 127.0.0.1:PORT/lesson/app@sha256:...
timeline["after pushing 1.0"] = {t: reg.digest(f"lesson/app:{t}") if t in reg.tags("lesson/app") else None
                                 for t in tags}  # fmt: skip
pulls["latest, Monday"] = (reg.pull("lesson/app:latest"), dl.run(reg.ref("lesson/app", "latest")).output.strip())  # fmt: skip
print("latest ->", first.digest)
print("pulling latest gives:", pulls["latest, Monday"][1])

# %% [markdown]
# **"Tuesday":** version 1.1 is pushed as `:1.1` and, again, as `:latest`. Same
# Dockerfile, same name, different image.

# %%
reg.push(v2, "lesson/app", "1.1")
second = reg.push(v2, "lesson/app", "latest")
timeline["after pushing 1.1"] = {t: reg.digest(f"lesson/app:{t}") for t in tags}
pulls["latest, Tuesday"] = (reg.pull("lesson/app:latest"), dl.run(reg.ref("lesson/app", "latest")).output.strip())  # fmt: skip
print("latest ->", second.digest)
print("pulling latest now gives:", pulls["latest, Tuesday"][1])

# %% [markdown]
# And the careful user, who pinned the digest, pulls **by digest** after the tag
# moved:

# %%
pulls["by digest, Tuesday"] = (reg.pull(pinned), dl.run(pinned).output.strip())
print(
    "pulling lesson/app@" + freshness.short_digest(first.digest) + "... gives:",
    pulls["by digest, Tuesday"][1],
)

digests = freshness.tag_changes(timeline)
display(digests)
pd.DataFrame(pulls, index=["image id", "the container prints"]).T

# %%
fig = freshness.plot_tag_timeline(
    timeline,
    title="Which digest each tag points at",
    caption=f"Measured on a distribution registry at {reg.host} (a container on this engine). "
    "Same colour = same image.",
)

# %% [markdown]
# "Same bytes every time" is not a promise, it is arithmetic: the manifest the
# registry serves for the pinned digest is the same document, so it names the
# same config and the same layers. An image's id is a hash too, of what the image
# store keeps: its config on the classic image store, the document its digest names
# on the containerd image store. For a one-platform image like this one that is its
# manifest, so there the id *is* the digest you pin; for a multi-platform pull, or a
# buildx build with attestations, it is the digest of the *index* (the list of
# manifests), which is again what you pin. Which store you have depends on the engine
# and on how it was installed (source: [image stores](../docs/sources.md#image-stores));
# the cell says. The checks below fail if any of this stops being true on the engine
# in front of you.

# %%
pin_manifest = reg.manifest(pinned)
assert (
    timeline["after pushing 1.0"]["latest"] != timeline["after pushing 1.1"]["latest"]
)  # the tag moved
assert timeline["after pushing 1.0"]["1.0"] == timeline["after pushing 1.1"]["1.0"]  # 1.0 stayed
assert list(digests["what happened"]) == ["moved", "stayed", "new tag"]
monday_id, tuesday_id, pin_id = (pulls[k][0] for k in pulls)
assert monday_id == v1.id and tuesday_id == v2.id != v1.id  # latest gave another image
assert pin_id == v1.id  # the digest still gives Monday's image ...
assert pin_manifest.digest == first.digest  # ... byte for byte
store = dl.engine_info().image_store
id_is_hash_of = (
    pin_manifest.digest if dl.engine_info().containerd_store else pin_manifest.config.digest
)
assert v1.id == id_is_hash_of, (store, v1.id)
print(
    f"image store: {store}; the image id is the digest of its "
    + ("manifest" if dl.engine_info().containerd_store else "config")
)
assert [out for _, out in pulls.values()] == ["app 1.0", "app 1.1", "app 1.0"]
print("latest moved from", freshness.short_digest(first.digest), "to", freshness.short_digest(second.digest),
      "| the pin still gives image", v1.short_id)  # fmt: skip

# %% [markdown]
# ## 2. hadolint: no tag, or `latest`
#
# hadolint (the Dockerfile linter; the kit runs the real binary) has two rules
# for this: **DL3006** "always tag the version of an image explicitly" and
# **DL3007** "using latest is prone to errors". A base pinned by tag and digest
# passes both.

# %%
dockerfiles = {
    "no tag": 'FROM debian\nCMD ["bash"]\n',
    "latest": 'FROM debian:latest\nCMD ["bash"]\n',
    "tag + digest": f'FROM {reg.host}/lesson/app:1.0@{first.digest}\nCMD ["cat", "/version.txt"]\n',
}
findings = {name: lint.lint(text) for name, text in dockerfiles.items()}
display(pd.concat(findings, names=["Dockerfile", "#"])[["line", "code", "level", "message"]])
codes = {name: set(found["code"]) for name, found in findings.items()}
print("hadolint", lint.version())

# %%
assert "DL3006" in codes["no tag"]
assert "DL3007" in codes["latest"]
assert not codes["tag + digest"] & {"DL3006", "DL3007"}

# %% [markdown]
# ## 3. Is there a newer base? Check, don't guess
#
# `freshness.check_bases` reads a Dockerfile's `FROM` lines in memory (with
# dockerfile-parse; earlier build stages and `scratch` are not base images), and
# for each base asks its registry two questions: what digest does the tag point
# at **now**, and which version tags exist? It compares the first with the
# digest you pinned and the second with your tag. Where a registry cannot be
# reached it says what it could not check instead of guessing.
#
# Four Dockerfiles: pinned to Monday's digest, pinned to today's, pinned to the
# tag `1.0`, and one whose base is on Docker Hub.

# %%
checks = pd.concat([
    freshness.check_bases(f"FROM {reg.host}/lesson/app:latest@{first.digest}\n"),
    freshness.check_bases(f"FROM {reg.host}/lesson/app:latest@{second.digest}\n"),
    freshness.check_bases(f"FROM {reg.host}/lesson/app:1.0\n"),
    freshness.check_bases(f"FROM {alpine}\n"),
], ignore_index=True)  # fmt: skip
freshness.checks_table(checks, registry_host=reg.host)

# %%
monday, today, by_tag, hub = (checks.iloc[i] for i in range(4))
assert monday["newer_digest"] is True  # Monday's pin is behind: latest moved on
assert today["newer_digest"] is False  # today's pin is current
assert by_tag["newer_tags"] == ["1.1"]  # a newer version tag exists
if dl.registry_reachable():
    print("Docker Hub answered:", hub["note"])
else:
    assert pd.isna(hub["current_digest"]) and "could not check" in hub["note"]
    print("Offline:", hub["note"])

# %% [markdown]
# Run this check on a schedule (a nightly CI job) rather than writing `latest`:
# you keep a fixed, reviewable pin, and you find out when it falls behind.

# %% [markdown]
# ## 4. Going deeper (optional): how old is my base?
#
# *Optional reading.* Run the cells of this section all the same: later cells and
# the notebook's checks use what they measure.
#
# Three dates can answer this, and they do not agree:
#
# - the date the **image** was made: the `org.opencontainers.image.created` label
#   when its publisher set one (images built `FROM` it inherit it), else the
#   config's `Created` (when it was built);
# - the **OS release** in `/etc/os-release`;
# - the date of **each package version** in it: a Debian package's files carry
#   the date of its Debian changelog (dpkg keeps it), and Alpine's package
#   database records each package's build time.
#
# All ages are computed against the same moment, printed with the table.

# %%
now = freshness.now_utc()
facts = {key: freshness.inspect(dl.ref(key), now) for key in ["debian_old", "debian", "alpine"]}
ages = pd.DataFrame({k: f.row() for k, f in facts.items()}).T
ages["provenance"] = [dl.provenance(dl.ref(k)) for k in ages.index]
print(f"Ages computed at {now:%Y-%m-%d %H:%M} UTC")
ages.drop(columns=["image"])

# %%
fig = freshness.plot_package_dates(
    list(facts.values()),
    caption="Package dates read from each image's filesystem (Debian: changelog date of each package; "
    "Alpine: apk build time). Bases: "
    + "; ".join(f"{k}: {v}" for k, v in ages["provenance"].items()),
)

# %%
for f in facts.values():
    assert f.age_days is not None and f.age_days >= 0
    assert f.newest_package is not None and f.newest_package.date <= now
    # the image is never older than what is inside it
    assert f.oldest_package.date <= f.newest_package.date <= f.created
    print(f"{f.image}: image {f.age_days} days old; its packages were made between "
          f"{f.oldest_package.date:%Y-%m-%d} and {f.newest_package.date:%Y-%m-%d}")  # fmt: skip

# %% [markdown]
# The image's own date only says when it was *assembled*. What matters for
# security is how recent the **packages** in it are; a base rebuilt today from
# an old package snapshot is still old inside.

# %% [markdown]
# ## 5. Same Dockerfile, older base vs newer base: what changed?
#
# A base falls behind in two ways. Its tag is rebuilt on a schedule, every few
# weeks, not each time Debian publishes a fix: pulling or rebuilding picks up the
# fixes published by the last rebuild (source:
# [Debian images](../docs/sources.md#debian-images)). And the release itself ages:
# Debian 12 "bookworm" is *oldstable* since Debian 13 "trixie" was released in
# August 2025, and its regular security support ended in mid-2026; Debian LTS
# continues for part of it (source: [Debian releases](../docs/sources.md#debian-releases)).
# A Dockerfile that still says `FROM debian:bookworm` gets none of trixie's
# fixes, however often it is rebuilt.
#
# The course has both releases as bases, made the same way (their provenance is
# below): `debian:bookworm` is the older base, `debian:trixie` the newer. We
# build the **same Dockerfile** on each (the base is a build argument) and
# compare what is inside the two results.

# %%
older_base, newer_base = dl.ref("debian_old"), dl.ref("debian")
pd.DataFrame({"image": [older_base, newer_base],
              "os": [facts["debian_old"].os, facts["debian"].os],
              "provenance": [dl.provenance(older_base), dl.provenance(newer_base)]},
             index=["older base", "newer base"])  # fmt: skip

# %%
app_on_base = """
ARG BASE
FROM ${BASE}
RUN printf '#!/bin/sh\\necho hello from the app\\n' > /usr/local/bin/app && chmod +x /usr/local/bin/app
CMD ["app"]
"""
built = {
    "older": dl.build(app_on_base, buildargs={"BASE": older_base}, tag="dockerlab/freshness-app:older-base"),
    "newer": dl.build(app_on_base, buildargs={"BASE": newer_base}, tag="dockerlab/freshness-app:newer-base"),
}  # fmt: skip
builds = {
    k: freshness.inspect(img, now) for k, img in built.items()
}  # packages read from each image
changed = freshness.diff_packages(builds["older"].packages, builds["newer"].packages)
kinds = changed["change"].value_counts()
display(kinds.rename("packages").to_frame())
changed.assign(old_date=changed["old_date"].dt.strftime("%Y-%m-%d"),
               new_date=changed["new_date"].dt.strftime("%Y-%m-%d")).head(12)  # fmt: skip

# %% [markdown]
# Most packages are in both images, at a newer version on trixie. The ones
# "removed" and "added" are of two kinds: the same library under a new name
# (trixie moved its 32-bit architectures other than i386 to a 64-bit `time_t`, and libraries whose
# interface changed got a `t64` suffix on every architecture; source:
# [Debian releases](../docs/sources.md#debian-releases)), and packages that one
# release's minimal system needs and the other's does not. Both, as found here:

# %%
split = freshness.added_and_removed(changed, rename_suffix="t64")
print(f"{len(split.renamed)} renamed to t64:", ", ".join(f"{a} -> {b}" for a, b in split.renamed))
print(f"only in {older_base}:", ", ".join(split.only_old))
print(f"only in {newer_base}:", ", ".join(split.only_new))

# %%
upgraded = freshness.upgraded(changed)
fig = freshness.plot_package_changes(
    upgraded, old_label=f"built on {older_base}",
    new_label=f"built on {newer_base}", top=15,
    caption="Versions and dates read from both images' package databases (date = the package's "
    f"Debian changelog). Older base: {dl.provenance(older_base)}. Newer base: {dl.provenance(newer_base)}.",
)  # fmt: skip

# %% [markdown]
# ### Going deeper (optional): package dates and changelogs
#
# *Optional reading.* Run the cells of this section all the same: later cells and
# the notebook's checks use what they measure.
#
# A version's date says when it was made, not which version is newer. The old
# release keeps receiving *stable updates* (fixes made for its own versions,
# security ones and others), so a bookworm package can carry a later date than the newer trixie
# version of it:

# %%
dated = freshness.dated_upgrades(changed)
later_on_old = freshness.dated_later_in_old(changed)
display(later_on_old[["package", "old", "new", "old_date", "new_date"]].head(8))
dl.md(
    f"Of the **{len(dated)}** upgraded packages with a date in both images, **{len(later_on_old)}** "
    f"are dated later in `{older_base}` than in `{newer_base}`, although trixie's version is the "
    "newer one (dpkg's order, used for every comparison here). Compare versions, not dates."
)

# %% [markdown]
# **What the newer versions fixed.** Every Debian package records its history
# in `/usr/share/doc/<package>/changelog.Debian.gz`, and security fixes name
# their CVE id there. We read the changelogs in both images (in a container
# with no network) and, for each source package, keep the CVE ids that trixie's
# changelog names in entries *newer than bookworm's version* and that
# bookworm's own changelog never names (a bookworm stable update may have fixed
# it too). Read the count as an estimate, neither a floor nor a ceiling, because
# its two limits pull in opposite directions: a fix that came with a new upstream
# version is often not named in Debian's changelog (so the count misses it), and a
# CVE that bookworm does not mention may never have affected bookworm (so the
# count includes it although there was nothing to fix). Debian's security tracker
# says which, per CVE (source:
# [Debian security tracker](../docs/sources.md#debian-security-tracker)).

# %%
logs = {k: freshness.changelogs(img) for k, img in built.items()}
fixed = freshness.fixed_between(logs["older"], logs["newer"])
display(fixed)
dl.md(
    f"Trixie's changelogs name **{fixed['cves'].sum()} CVE ids** in "
    f"**{len(fixed)} of {len(freshness.sources_in_both(logs['older'], logs['newer']))} source packages** "
    f"in entries newer than `{older_base}`'s versions, ids that `{older_base}`'s own changelogs "
    "never name: candidates, some of which may never have affected bookworm."
)

# %%
assert kinds.get("downgraded", 0) == 0  # nothing is older on the newer release
assert len(upgraded) > len(changed) / 2  # most packages: the same, at a newer version
assert "libc6" in set(upgraded["package"])
assert all(
    freshness.compare_versions(o, n) < 0
    for o, n in zip(upgraded["old"], upgraded["new"], strict=True)
)
assert len(fixed) > 0 and fixed["cves"].sum() > 0  # the newer base carries fixes the older lacks
furthest = dated.loc[dated["days_behind"].idxmax()]
print(
    f"{len(upgraded)} packages upgraded; the older build was up to {furthest['days_behind']:.0f} days behind "
    f"({furthest['package']}); {fixed['cves'].sum()} CVE ids named as fixed since (candidates)."
)
# the app itself runs on both
assert {dl.run(img).output.strip() for img in built.values()} == {"hello from the app"}

# %% [markdown]
# Note what the image date says about these two builds: not which is newer
# inside. Each inherits its base's `created` label (or, without one, the date
# it was built), and both bases were made or published at about the same time;
# only the package versions and the release (`os`) tell them apart.

# %%
both = pd.DataFrame({k: f.row() for k, f in builds.items()}).T
both = both[
    ["os", "created", "created from", "age (days)", "newest package", "newest package date"]
]
display(both)
assert both["os"].nunique() == 2

# %% [markdown]
# ## 6. Upgrading one package in the Dockerfile
#
# The article: *if you need to upgrade a specific package, you can always do so with
# the distribution's package manager*, a line such as `RUN apt-get install
# --only-upgrade PACKAGE` in the Dockerfile. To test it we need a base that is behind.
# Debian publishes a stable release's security fixes in a separate archive
# (`trixie-security`) as they are ready, and folds them into the release itself at its
# next point release; a published base picks up both when it is rebuilt, every few weeks
# (sources: [Debian security updates](../docs/sources.md#debian-security-updates),
# [Debian images](../docs/sources.md#debian-images)).
#
# We ask Debian's archive which packages of the course's trixie came from the security
# archive after the last point release, and make the base as it was before them: the
# same packages at their point-release versions, in one layer like a published base.
# (This part needs Debian's `apt` on this machine, and Debian's archive once.)

# %%
updates = freshness.security_updates(newer_base)
measured = updates.missing is None  # False: this machine cannot fetch them (said below)
if measured:
    old_base = dl.build(freshness.OLD_BASE_DOCKERFILE.format(base=newer_base), updates.old_base_files(),
                        tag="dockerlab/freshness-app:point-release", progress=False)  # fmt: skip
    target = updates.largest()  # the package with the largest update
    print(
        f"Debian {updates.suite} ({updates.arch}), from {updates.where}; upgrading by hand: {target}"
    )
else:
    target = "PACKAGE"
    print("Not measured on this machine:", updates.missing)
updates.table

# %% [markdown]
# A build here has no network, so a folder holding those updates and their entries of
# Debian's signed index stands in for the security archive (the `COPY` line). The
# Dockerfile upgrades one package, as the article says. We build it three times:
#
# - on the old base, **before** the update was published (the folder's index is empty);
# - on the old base, **after** it was published;
# - on the **updated** base (the course's trixie, which already has the update): the
#   same Dockerfile after the base's next rebuild.

# %%
upgrade_dockerfile = f"""
ARG BASE
FROM ${{BASE}}
COPY updates/ /srv/updates/
RUN apt-get {freshness.UPDATES_APT} update \\
 && apt-get {freshness.UPDATES_APT} install -y --only-upgrade {target} \\
 && rm -rf /var/lib/apt/lists/*
"""
print(upgrade_dockerfile)
old_tag = "dockerlab/freshness-app:point-release"
upgrades = {
    "old base, before the update": (old_tag, dl.build(upgrade_dockerfile, updates.repository(empty=True), buildargs={"BASE": old_tag}, progress=False)),
    "old base, after the update": (old_tag, dl.build(upgrade_dockerfile, updates.repository(), buildargs={"BASE": old_tag}, progress=False)),
    "updated base": (newer_base, dl.build(upgrade_dockerfile, updates.repository(), buildargs={"BASE": newer_base}, progress=False)),
} if measured else {}  # fmt: skip
summary = freshness.upgrade_summary(upgrades, "apt-get")
summary

# %%
if measured:
    before, after, rebased = (img for _, img in upgrades.values())
    changed = freshness.compare_builds(old_tag, after)
    left_behind = freshness.compare_builds(after, newer_base)  # what the updated base has newer
    display(changed[["package", "old", "new", "change"]])
    assert target in set(changed["package"]) and set(changed["change"]) == {"upgraded"}
    assert freshness.compare_builds(old_tag, before).empty  # before the update: nothing to do
    assert before.id != after.id  # same Dockerfile, same base, another image
    assert summary.loc["old base, after the update", "old copies kept (MB)"] > 0
    assert summary.loc["updated base", "packages changed"] == 0  # the line now does nothing
    assert set(changed["package"]).isdisjoint(left_behind["package"])
    dl.md(
        f"Asked for one package, apt changed **{len(changed)}** ({', '.join(changed['package'])}): "
        "what the upgraded one requires comes along. The `RUN` layer holds "
        f"**{summary.loc['old base, after the update', 'upgrade layer (MB)']} MB**, and the "
        f"**{summary.loc['old base, after the update', 'old copies kept (MB)']} MB** of the old "
        "versions stay in the base's layer below it: shipped, never used. "
        + (
            f"The other **{len(left_behind)}** updated packages ({', '.join(left_behind['package'])}) "
            "are still old in it; the updated base has them all. "
            if len(left_behind)
            else "The updated base has nothing newer. "
        )
        + "On the updated base the same line changed "
        f"**{summary.loc['updated base', 'packages changed']}** packages and still added a layer of "
        f"**{summary.loc['updated base', 'upgrade layer (MB)']} MB** (its largest file: "
        f"`{summary.loc['updated base', 'largest file in it']}`)."
    )
else:
    assert summary.empty and updates.table.empty
    print("Nothing built: see the reason above.")

# %% [markdown]
# So the advice works, with four costs the article does not name, each measured above:
#
# - **It is not reproducible.** The same Dockerfile on the same base gave another image
#   once the archive had the update: what you get depends on the day you build.
# - **The image ships both versions.** The base's layer keeps the old files; the new ones
#   come on top.
# - **It fixes only what you name** (and what that needs). The base's next rebuild
#   brings every update, and removes the old copies.
# - **It outlives its use.** Once the base has the update, the line does nothing but add
#   a layer. Remove it then.
#
# Use it as a stopgap between base rebuilds, and rebuild on the updated base (section 5)
# as soon as there is one. The kit tests this with Debian; for Alpine (`apk upgrade`)
# it has no package archive offline.

# %% [markdown]
# ## 7. Scanning on a schedule
#
# The article also says to *schedule automated scans of your Docker images and be
# alerted about newly discovered security issues*. Why scan an image that does not
# change? Because what is known about it does. Notebook 11 matches an image's packages
# against OSV.dev, online. Here we make a small vulnerability database offline, from
# Debian itself: each changelog entry of the updates above names the CVE ids it fixes,
# with its date (close to when the fix was published). Then we scan the **same** image,
# the old base, as a daily scan would have on each of those days.

# %%
if measured:
    database = freshness.advisories(newer_base, sorted(set(updates.table["source"])),
                                    dict(zip(updates.table["source"], updates.table["point_release"], strict=True)))  # fmt: skip
    history = freshness.scan_history(old_tag, database, freshness.scan_dates(database, now))
    display(database.assign(published=database["published"].dt.strftime("%Y-%m-%d")).head(8))
    fig = freshness.plot_scan_history(
        history,
        caption="Advisories: the CVE ids named by Debian's changelogs of the updated packages, "
        f"dated by their changelog entry. Image: {old_tag}, the course's trixie with its "
        f"security updates undone (trixie: {dl.provenance(newer_base)}).",
    )
else:
    print("No scan history: no old base was made here (see section 6).")

# %%
if measured:
    assert set(history["image id"]) == {old_base.id[:19]}  # one image, the old base, never rebuilt
    assert history["findings"].iloc[0] == 0 < history["findings"].iloc[-1]
    assert history["findings"].is_monotonic_increasing
    patched_findings = freshness.scan(after, database)["id"].nunique()
    assert patched_findings < history["findings"].iloc[-1]
    dl.md(
        f"The image never changed; its scan found **{history['findings'].iloc[0]}** known "
        f"vulnerabilities on {history['date'].iloc[0]} and **{history['findings'].iloc[-1]}** on "
        f"{history['date'].iloc[-1]}. The image with the one-package upgrade still has "
        f"**{patched_findings}**."
    )

# %% [markdown]
# That is what a schedule is for: an image keeps its packages, and the database it is
# matched against grows. A scheduled scan (a nightly CI job running `docker scout cves`,
# Trivy or Grype on the images you run) re-reads the same inventory against the day's
# data, so a new advisory shows up at the next run, without a rebuild. "Alerted
# immediately", as the article puts it, means at the next run, and only once the
# database has the advisory. The fix is then a rebuild on the updated base (or, until
# there is one, the upgrade line of section 6).

# %% [markdown]
# ## What we learned
#
# - A tag is a pointer that moves: `latest` gave 1.0 on Monday and 1.1 on
#   Tuesday. A **digest pin** gave the same image, byte for byte, after the tag
#   moved.
# - hadolint catches the two unpinned forms: `DL3006` (no tag), `DL3007` (`latest`).
# - Pin, **then check regularly**: compare your pinned digest with what the tag
#   points at now, and look for newer version tags. Here that check is
#   `freshness.check_bases`; offline it says what it could not check.
# - An image's date is not its age: read the **packages**, their versions first
#   (an old release's stable update can be dated after the new release's
#   version). Rebuilding on a newer base is how fixes arrive; comparing the two
#   builds' packages shows exactly which, and their changelogs name CVEs fixed in
#   the newer versions (bookworm vs trixie, above): candidates to check against
#   Debian's security tracker, not a proof that the older base was vulnerable.
# - A pinned release ages too: move `FROM` to the current release (here
#   `debian:trixie`) before the old one's security support ends.
# - Upgrading a package in the Dockerfile works, but the result depends on the build
#   day, the old version stays in the base's layer, and the line is dead weight once
#   the base catches up: a stopgap until the base is rebuilt.
# - Scan on a schedule: the same image's findings grew with the vulnerability data,
#   while the image did not change.
#
# **Exercise:** [exercise 6](../exercises/06-pinning-and-scanning.ipynb): write a Dockerfile, and the kit measures it.
#
# Previous: [09: Configuration and secrets](09-configuration-and-secrets.ipynb) ·
# Next: [11: Scanning images](11-scanning-images.ipynb)

# %%
reg.stop()
for img in [*built.values(), v1, v2, *(img for _, img in upgrades.values())]:
    img.remove()
if measured:
    old_base.remove()
dl.cleanup()
