"""Pinned downloads, with real pip and real apt on real files served from this machine.

PyPI is a folder of files made here (pip's ``--find-links``, no index); Debian is a
small apt repository of a package built here with ``dpkg-deb``, served by a local
``http.server`` and read through the kit's private apt configuration.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import io
import shutil
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockerlab.core import downloads
from dockerlab.errors import BootstrapFailed, DockerlabError

PROJECT, VERSION = "tinyproj", "1.0"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(folder: Path, platform: str = "any") -> Path:
    """A real (tiny) wheel: a module, its METADATA, WHEEL and RECORD."""
    name = f"{PROJECT}-{VERSION}.dist-info"
    files = {
        f"{PROJECT}.py": "ANSWER = 42\n",
        f"{name}/METADATA": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n",
        f"{name}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        f"Tag: py3-none-{platform}\n",
    }
    record = [f"{p},sha256={_sha256(t.encode())},{len(t)}" for p, t in files.items()]
    files[f"{name}/RECORD"] = "\n".join([*record, f"{name}/RECORD,,"]) + "\n"
    path = folder / f"{PROJECT}-{VERSION}-py3-none-{platform}.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, text in files.items():
            z.writestr(p, text)
    return path


#: A PEP 517 build backend in the sdist itself (no build requirement to install offline):
#: pip asks it only for the metadata, to check the file is the release it asked for.
BACKEND = """\
import os


def prepare_metadata_for_build_wheel(directory, config_settings=None):
    info = os.path.join(directory, "tinyproj-1.0.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\\nName: tinyproj\\nVersion: 1.0\\n")
    return "tinyproj-1.0.dist-info"


def build_wheel(directory, config_settings=None, metadata_directory=None):
    raise NotImplementedError("downloaded, never built")
"""


def _sdist(folder: Path) -> Path:
    """A real (tiny) source distribution whose own backend gives its metadata."""
    top = f"{PROJECT}-{VERSION}"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {VERSION}\n",
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        "backend.py": BACKEND,
        f"{PROJECT}.py": "ANSWER = 42\n",
    }
    path = folder / f"{top}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for p, text in files.items():
            info = tarfile.TarInfo(f"{top}/{p}")
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return path


@pytest.fixture
def index(tmp_path, monkeypatch):
    """pip's index: a folder of files (no network)."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("DOCKERLAB_CACHE", str(tmp_path / "cache"))
    return folder


def test_a_wheel_is_downloaded_once_into_the_cache(index, tmp_path):
    wheel = _wheel(index)
    said = []
    got = downloads.pypi_file(PROJECT, VERSION, _sha256(wheel.read_bytes()), kind="wheel",
                              filename=wheel.name, say=said.append)  # fmt: skip
    assert got == tmp_path / "cache" / "downloads" / wheel.name
    assert got.read_bytes() == wheel.read_bytes()
    assert len(said) == 1 and f"{PROJECT}=={VERSION}" in said[0]
    assert [p.name for p in got.parent.iterdir()] == [wheel.name]  # no temporary folder left
    wheel.unlink()  # the index no longer has it: the cached copy is used, no pip run
    again = downloads.pypi_file(PROJECT, VERSION, _sha256(got.read_bytes()), kind="wheel",
                                filename=got.name, say=said.append)  # fmt: skip
    assert again == got and len(said) == 1


def test_another_machines_wheel_is_downloaded_by_its_platform_tag(index, tmp_path):
    other = "manylinux_2_17_s390x"
    wheel = _wheel(index, other)
    folder = tmp_path / "wheels"
    got = downloads.pypi_file(PROJECT, VERSION, _sha256(wheel.read_bytes()), kind="wheel",
                              filename=wheel.name, folder=folder)  # fmt: skip
    assert got == folder / wheel.name and downloads.wheel_platform(got.name) == other


def test_an_sdist_is_cached_under_the_given_name(index):
    sdist = _sdist(index)
    got = downloads.pypi_file(PROJECT, VERSION, _sha256(sdist.read_bytes()))
    assert got.name == f"{PROJECT}-{VERSION}.tar.gz" and got.read_bytes() == sdist.read_bytes()


def test_a_wrong_checksum_deletes_the_download(index):
    wheel = _wheel(index)
    with pytest.raises(BootstrapFailed) as failed:
        downloads.pypi_file(PROJECT, VERSION, "0" * 64, kind="wheel", filename=wheel.name,
                            error=BootstrapFailed)  # fmt: skip
    message = str(failed.value)
    assert _sha256(wheel.read_bytes()) in message and "0" * 64 in message
    assert "deleted" in message and "do not trust" in message
    assert not (downloads.downloads_dir() / wheel.name).exists()


def test_a_release_pip_cannot_find_says_what_where_and_what_to_do(index):
    with pytest.raises(DockerlabError) as failed:
        downloads.pypi_file(PROJECT, "9.9", "0" * 64, hint="Reach PyPI once.")
    message = str(failed.value)
    assert f"{PROJECT}==9.9" in message and "PyPI" in message
    assert "No matching distribution" in message and message.endswith("-> Reach PyPI once.")
    assert list(downloads.downloads_dir().iterdir()) == []


def test_a_wheel_needs_its_file_name():
    with pytest.raises(ValueError):
        downloads.pypi_file(PROJECT, VERSION, "0" * 64, kind="wheel")


def test_print_uris_lines_give_file_and_sha256():
    digest = "4b355fad07d4fe1f5aa282e949281f8dcb7bcdebb023d7e40f4f8fe475e21e29"
    text = (f"'http://deb.debian.org/debian/pool/main/b/busybox/b.deb' busybox_1_amd64.deb "
            f"452120 SHA256:{digest}\n'http://x/y.deb' y_1_amd64.deb 10 MD5Sum:abc\nnoise\n")  # fmt: skip
    assert downloads.parse_print_uris(text) == [
        ("busybox_1_amd64.deb", digest),
        ("y_1_amd64.deb", ""),
    ]


# --------------------------------------------------------------------------- Debian

APT_TOOLS = ("apt-get", "dpkg-deb", "apt-ftparchive")
needs_apt = pytest.mark.skipif(
    not all(shutil.which(t) for t in APT_TOOLS), reason="needs Debian's apt and dpkg"
)


def _deb(pool: Path, name: str, version: str) -> Path:
    """A real .deb built with dpkg-deb: one file, /usr/share/NAME/hello."""
    root = pool.parent / f"build-{name}-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN/control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: all\n"
        "Maintainer: Test <t@example.org>\nDescription: a test package\n"
    )
    (root / "usr/share" / name).mkdir(parents=True)
    (root / "usr/share" / name / "hello").write_text(f"{name} {version}\n")
    deb = pool / f"{name}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(root), str(deb)],
                   check=True, capture_output=True)  # fmt: skip
    shutil.rmtree(root)
    return deb


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def repo(tmp_path):
    """A real apt repository (suite ``test``) with two versions of ``hello``, over HTTP."""
    top = tmp_path / "repo"
    (top / "pool").mkdir(parents=True)
    debs = [_deb(top / "pool", "hello", v) for v in ("1.0", "2.0")]
    index = top / "dists/test/main/binary-all"
    index.mkdir(parents=True)
    run = functools.partial(subprocess.run, cwd=top, check=True, capture_output=True, text=True)
    # sha256 only, as Debian's own indexes (apt prints the strongest hash an index has)
    hashes = [f"-oAPT::FTPArchive::{h}=false" for h in ("MD5", "SHA1", "SHA512")]
    (index / "Packages").write_text(run(["apt-ftparchive", *hashes, "packages", "pool"]).stdout)
    opts = ["-oAPT::FTPArchive::Release::Suite=test", "-oAPT::FTPArchive::Release::Codename=test"]
    release = run(["apt-ftparchive", *hashes, *opts, "release", "dists/test"]).stdout
    (top / "dists/test/Release").write_text(release)
    with _serve(top) as url:
        sources = f"Types: deb\nURIs: {url}\nSuites: test\nComponents: main\nTrusted: yes\n"
        yield downloads.Apt("the test archive", tmp_path / "apt", sources), debs


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1; yields its URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@needs_apt
def test_debian_packages_are_downloaded_checked_and_kept(repo, tmp_path):
    apt, (_old, new) = repo
    said = []
    [deb] = downloads.download_debian_packages(
        ["hello"], tmp_path / "debs", apt=apt, say=said.append
    )
    assert deb.name == new.name and deb.read_bytes() == new.read_bytes()  # the candidate
    assert said and "downloading 1 of 1 the test archive packages" in said[-1]
    assert (apt.folder / "sources.list.d/debian.sources").read_text() == apt.sources
    assert apt.index_files(), "the index is kept in the private folder"
    said.clear()
    assert downloads.download_debian_packages(
        ["hello"], tmp_path / "debs", apt=apt, say=said.append
    ) == [deb]
    assert not any("downloading" in line for line in said)  # cached: nothing downloaded


@needs_apt
def test_a_pinned_version_is_the_one_downloaded(repo, tmp_path):
    apt, (old, _new) = repo
    [deb] = downloads.download_debian_packages(["hello=1.0"], tmp_path / "debs", apt=apt)
    assert deb.read_bytes() == old.read_bytes()
    downloads.unpack_deb(deb, tmp_path / "root")
    assert (tmp_path / "root/usr/share/hello/hello").read_text() == "hello 1.0\n"


@needs_apt
def test_a_half_written_deb_is_downloaded_again(repo, tmp_path):
    apt, (_old, new) = repo
    [deb] = downloads.download_debian_packages(["hello"], tmp_path / "debs", apt=apt)
    deb.write_bytes(new.read_bytes()[:100])
    said = []
    assert downloads.download_debian_packages(
        ["hello"], tmp_path / "debs", apt=apt, say=said.append
    ) == [deb]
    assert deb.read_bytes() == new.read_bytes() and "downloading 1 of 1" in said[-1]


@needs_apt
def test_a_package_the_archive_lacks_says_what_and_where(repo, tmp_path):
    apt, _ = repo
    with pytest.raises(DockerlabError) as failed:
        downloads.download_debian_packages(["no-such-package"], tmp_path / "debs", apt=apt)
    message = str(failed.value)
    assert "no-such-package" in message and "the test archive" in message
    assert apt.where in message and message.endswith(f"-> {apt.hint}")


@needs_apt
def test_an_archive_with_no_index_and_nothing_cached_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with _serve(tmp_path / "empty") as url:
        sources = f"Types: deb\nURIs: {url}\nSuites: test\nComponents: main\nTrusted: yes\n"
        apt = downloads.Apt("the empty archive", tmp_path / "apt", sources, error=BootstrapFailed,
                            hint="Reach it once.")  # fmt: skip
        with pytest.raises(BootstrapFailed) as failed:
            downloads.download_debian_packages(["hello"], tmp_path / "debs", apt=apt)
    message = str(failed.value)
    assert f"the empty archive's package index could not be fetched from {url}" in message
    assert "none is cached" in message and "404" in message
    assert message.endswith("-> Reach it once.")
