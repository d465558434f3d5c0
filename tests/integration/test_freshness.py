"""Tags move, digests do not: a real registry on 127.0.0.1, real pulls; dating real images."""

from __future__ import annotations

import pytest

import dockerlab as dl
from dockerlab.lessons import freshness
from dockerlab.registry import api as registry_client
from dockerlab.registry import server as registry_server

APP = 'FROM {base}\nCOPY version.txt /version.txt\nCMD ["cat", "/version.txt"]\n'


@pytest.fixture(scope="module")
def reg(engine):
    with registry_server.LocalRegistry() as r:
        yield r


@pytest.fixture(scope="module")
def versions(bases):
    """Two builds of the same Dockerfile that differ in one file."""
    one = dl.build(APP.format(base=bases["alpine"]), {"version.txt": "1.0\n"},
                   tag="dockerlab/freshtest:1.0", progress=False)  # fmt: skip
    two = dl.build(APP.format(base=bases["alpine"]), {"version.txt": "1.1\n"},
                   tag="dockerlab/freshtest:1.1", progress=False)  # fmt: skip
    yield one, two
    one.remove()
    two.remove()


def test_tag_moves_and_the_digest_pin_does_not(engine, reg, versions):
    one, two = versions
    first = reg.push(one, "fresh/app", "latest")
    reg.push(one, "fresh/app", "1.0")
    assert reg.digest("fresh/app:latest") == reg.digest("fresh/app:1.0") == first.digest
    assert reg.pull("fresh/app:latest") == one.id  # what latest gives on day one
    manifest_before = reg.manifest(first.pinned)

    second = reg.push(two, "fresh/app", "latest")
    reg.push(two, "fresh/app", "1.1")
    assert second.digest != first.digest
    assert reg.digest("fresh/app:latest") == second.digest  # the tag moved ...
    assert reg.digest("fresh/app:1.0") == first.digest  # ... the version tag did not
    assert reg.pull("fresh/app:latest") == two.id  # pulling latest now gives the new image

    # pulled by digest after the tag moved: the same image, the same manifest
    assert reg.pull(first.pinned) == one.id
    assert first.pinned in engine.images.get(one.id).attrs["RepoDigests"]
    manifest_after = reg.manifest(first.pinned)
    assert manifest_after == manifest_before
    # an image's id is its config's digest on the classic store, its manifest's on containerd's
    id_is = (
        manifest_after.digest if dl.engine_info().containerd_store else manifest_after.config.digest
    )
    assert id_is == one.id
    assert dl.run(first.pinned).output == "1.0\n"
    assert reg.tags("fresh/app") == ["1.0", "1.1", "latest"]


def test_pull_of_a_missing_tag_is_a_clear_error(reg, versions):
    reg.push(versions[0], "fresh/missing", "1.0")
    with pytest.raises(registry_client.ManifestNotFound, match=r"fresh/missing:2\.0"):
        reg.pull("fresh/missing:2.0")


def test_stop_untags_what_was_pulled(engine, bases, versions):
    one, _ = versions
    with registry_server.LocalRegistry() as r:
        r.push(one, "fresh/untag", "t")
        r.pull("fresh/untag:t")
        assert r.ref("fresh/untag", "t") in engine.images.get(one.id).tags
    tags = engine.images.get(one.id).tags
    # The pulled tag is gone, the image is kept. (The containerd store also lists, as tags,
    # the digest references of the module's registry, still running: not this one's.)
    assert "dockerlab/freshtest:1.0" in tags
    assert not [t for t in tags if t.startswith(r.host + "/")], tags


def test_check_bases_sees_a_newer_digest_and_tag(reg, versions):
    one, two = versions
    old = reg.push(one, "fresh/base", "latest")
    reg.push(one, "fresh/base", "1.0")
    text = (f"FROM {reg.host}/fresh/base:latest@{old.digest} AS pinned\n"
            f"FROM {reg.host}/fresh/base:1.0\n")  # fmt: skip
    before = freshness.check_bases(text)
    assert before["newer_digest"].tolist()[0] is False
    assert before["newer_tags"].tolist() == [[], []]

    new = reg.push(two, "fresh/base", "latest")
    reg.push(two, "fresh/base", "1.1")
    after = freshness.check_bases(text)
    assert after.loc[0, "newer_digest"] is True
    assert after.loc[0, "current_digest"] == new.digest != old.digest
    assert after.loc[1, "newer_tags"] == ["1.1"]


def test_check_bases_says_what_it_could_not_check(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_OFFLINE", "1")
    df = freshness.check_bases("FROM debian:bookworm\n")
    assert df.loc[0, "pinned"] == "tag"
    assert "could not check" in df.loc[0, "note"] and "not reachable" in df.loc[0, "note"]


def test_inspect_dates_a_base_and_its_packages(bases):
    now = freshness.now_utc()
    facts = freshness.inspect(bases["alpine"], now)
    assert facts.os_release["ID"] == "alpine"
    assert "Alpine" in facts.os and len(facts.packages) >= 10
    assert "musl" in facts.packages and facts.packages["musl"].date is not None
    assert facts.created is not None and facts.age_days >= 0
    assert facts.newest_package.date <= now
    labels = dl.images.get(bases["alpine"]).labels or {}
    if freshness.CREATED_LABEL in labels:
        assert facts.created_source == f"label {freshness.CREATED_LABEL}"
    else:
        assert facts.created_source == "config Created"

    debian = freshness.inspect(bases["debian"], now)
    assert debian.os_release["ID"] == "debian"
    assert "libc6" in debian.packages
    assert sum(p.date is not None for p in debian.packages.values()) > len(debian.packages) / 2


def test_a_derived_image_inherits_the_base_date_and_not_the_build_date(bases):
    with dl.build(f"FROM {bases['alpine']}\nRUN echo x > /x\n", progress=False) as img:
        base, derived = freshness.inspect(bases["alpine"]), freshness.inspect(img)
        assert derived.created_source == base.created_source
        if base.created_source.startswith("label"):
            assert derived.created == base.created  # dates the base
            assert derived.config_created > base.config_created  # built later
        assert freshness.compare_builds(bases["alpine"], img).empty  # no package changed


def test_the_older_and_newer_debian_bases_and_what_was_fixed_between_them(bases):
    """Notebook 10's comparison, on the catalog's two Debian releases."""
    old, new = freshness.inspect(bases["debian_old"]), freshness.inspect(bases["debian"])
    assert old.os_release["VERSION_CODENAME"] == "bookworm"
    assert new.os_release["VERSION_CODENAME"] == "trixie"
    diff = freshness.diff_packages(old.packages, new.packages)
    assert "downgraded" not in set(diff["change"])
    assert diff.set_index("package").loc["libc6", "change"] == "upgraded"
    logs_old, logs_new = (
        freshness.changelogs(bases["debian_old"]),
        freshness.changelogs(bases["debian"]),
    )
    assert "glibc" in logs_old and "glibc" in logs_new
    assert logs_new["glibc"][0] == new.packages["libc6"].version  # the installed version
    assert any(entry.cves for entry in logs_new["glibc"][1])  # security fixes name their CVEs
    fixed = freshness.fixed_between(logs_old, logs_new)
    assert not fixed.empty and (fixed["cves"] > 0).all()
    assert set(fixed["source"]) <= set(logs_old) & set(logs_new)
