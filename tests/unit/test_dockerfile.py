"""Reading a Dockerfile (dockerlab.core.dockerfile): bases and pins, instructions, stages, RUN's
shell, heredocs; on texts the tests write."""

from __future__ import annotations

from dockerlab.core import dockerfile

DIGEST = "sha256:" + "ab" * 32


def test_split_image():
    assert dockerfile.split_image("debian") == ("debian", None, None)
    assert dockerfile.split_image("debian:bookworm") == ("debian", "bookworm", None)
    assert dockerfile.split_image(f"127.0.0.1:5000/lesson/app:1.0@{DIGEST}") == ("127.0.0.1:5000/lesson/app", "1.0", DIGEST)  # fmt: skip
    assert dockerfile.split_image(f"127.0.0.1:5000/lesson/app@{DIGEST}") == ("127.0.0.1:5000/lesson/app", None, DIGEST)  # fmt: skip


def test_base_images_skips_stages_and_scratch_and_substitutes_args(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (
        "ARG ALPINE=3.22\n"
        "FROM debian:bookworm AS build\n"
        "RUN true\n"
        "FROM build AS test\n"
        "FROM alpine:${ALPINE}\n"
        "COPY --from=build /x /x\n"
        "FROM scratch\n"
        f"FROM 127.0.0.1:5000/lesson/app:latest@{DIGEST}\n"
        "FROM debian\n"
    )
    bases = dockerfile.bases(text)
    assert [(b.line, b.image, b.pinned) for b in bases] == [
        (2, "debian:bookworm", "tag"),
        (5, "alpine:3.22", "tag"),
        (8, f"127.0.0.1:5000/lesson/app:latest@{DIGEST}", "digest"),
        (9, "debian", "none"),
    ]
    assert dockerfile.bases(text, {"ALPINE": "3.23"})[1].image == "alpine:3.23"
    assert dockerfile.bases("FROM debian:latest\n")[0].pinned == "latest"
    assert not (tmp_path / "Dockerfile").exists()  # parsed in memory, nothing written


def test_base_images_reads_a_path(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine:3.23\n")
    assert dockerfile.bases(dockerfile.read(path))[0].image == "alpine:3.23"
    assert dockerfile.bases(dockerfile.read(str(path)))[0].image == "alpine:3.23"
    assert path.read_text() == "FROM alpine:3.23\n"


def test_base_images_names_each_base_once_and_leaves_heredoc_bodies_and_unfilled_args_out():
    text = (
        "FROM alpine:3.23 AS a\n"
        "RUN <<EOF\nFROM debian:bookworm\nEOF\n"
        "FROM alpine:3.23\n"
        "FROM $UNSET\n"
        "FROM a\n"
    )
    assert dockerfile.base_images(text) == ["alpine:3.23"]
    assert dockerfile.base_images("not a dockerfile at all (") == []


def test_base_images_skips_stages_scratch_and_flags():
    text = ("FROM --platform=linux/amd64 dockerlab/builder AS build\nRUN true\n"
            "FROM build AS again\nFROM scratch\nFROM alpine:3.23\n")  # fmt: skip
    assert dockerfile.base_images(text) == ["dockerlab/builder", "alpine:3.23"]


def test_base_images_fills_in_args_and_skips_heredoc_bodies():
    text = ("ARG TAG=latest\nFROM alpine:${TAG}\n"
            "COPY <<EOF /notes.txt\nFROM debian\nEOF\n")  # fmt: skip
    assert dockerfile.base_images(text) == ["alpine:latest"]
    assert dockerfile.unpinned("alpine:latest")


def test_unpinned():
    assert dockerfile.unpinned("debian") and dockerfile.unpinned("debian:latest")
    assert dockerfile.unpinned("localhost:5000/app")  # a registry port is not a tag
    assert not dockerfile.unpinned("debian:bookworm")
    assert not dockerfile.unpinned("alpine@sha256:" + "0" * 64)


def test_replace_base_keeps_flags_and_stage_names():
    text = "FROM --platform=$BUILDPLATFORM debian AS b\nfrom debian\nFROM debian-extra\n"
    assert dockerfile.replace_base(text, "debian", "debian:trixie") == (
        "FROM --platform=$BUILDPLATFORM debian:trixie AS b\nfrom debian:trixie\nFROM debian-extra\n"
    )


def test_heredocs():
    text = (
        "FROM alpine:3.23\n"
        "RUN <<EOF\necho hi > /hi\nEOF\n"
        "COPY <<-CONF /etc/app.conf\n\tkey=1\n\tCONF\n"
        "RUN cat <<<'not a heredoc'\n"
        'CMD ["cat", "/hi"]\n'
    )
    docs = dockerfile.heredocs(text)
    assert [(d.line, d.first, d.end, d.body) for d in docs] == [
        (2, 3, 4, ("echo hi > /hi",)), (5, 6, 7, ("\tkey=1",))]  # fmt: skip
    assert dockerfile.without_heredocs(text).splitlines()[2:4] == ["", ""]


def test_instructions_leave_out_comments_and_heredoc_bodies():
    text = (
        "# syntax=docker/dockerfile:1\n"
        "FROM alpine:3.23\n"
        "# a comment\n"
        "RUN <<EOF\nFROM debian\nUSER root\nEOF\n"
        "RUN apk add --no-cache \\\n    curl\n"
        "user app\n"
    )
    assert dockerfile.instructions(text) == [
        {"instruction": "FROM", "line": 2, "value": "alpine:3.23"},
        {"instruction": "RUN", "line": 4, "value": "<<EOF"},
        {"instruction": "RUN", "line": 8, "value": "apk add --no-cache     curl"},
        {"instruction": "USER", "line": 10, "value": "app"},
    ]
    assert dockerfile.instructions("") == []


def test_final_stage_follows_the_stages_it_builds_from():
    text = (
        "ARG V=1\n"
        "FROM alpine:3.23 AS base\nUSER app\n"
        "FROM --platform=linux/amd64 dockerlab/builder AS build\nRUN make\n"
        "FROM BASE AS final\nCOPY --from=build /x /x\n"
    )
    final = dockerfile.final_stage(dockerfile.instructions(text))
    assert [(i["instruction"], i["line"]) for i in final] == [
        ("FROM", 2), ("USER", 3), ("FROM", 6), ("COPY", 7)]  # fmt: skip
    alone = dockerfile.final_stage(dockerfile.instructions("FROM a AS b\nRUN x\nFROM scratch\n"))
    assert [i["value"] for i in alone] == ["scratch"]
    assert dockerfile.final_stage(dockerfile.instructions("ARG V=1\n")) == []


def test_assignments_of_arg_env_and_label():
    assert dockerfile.assignments("ARG", "NPM_TOKEN") == [("NPM_TOKEN", "")]
    assert dockerfile.assignments("ENV", 'A=1 B="x y"') == [("A", "1"), ("B", "x y")]
    assert dockerfile.assignments("ENV", "API_KEY abc 123") == [("API_KEY", "abc 123")]
    assert dockerfile.assignments("LABEL", 'a="open quote') == [("a", '"open'), ("quote", "")]
    assert dockerfile.assignments("ENV", "") == []


def test_run_scripts_join_the_exec_form_drop_flags_and_add_heredoc_bodies():
    text = (
        "FROM alpine:3.23\n"
        'RUN ["apk", "add", "a b"]\n'
        "RUN --mount=type=cache,target=/root/.cache --network=none pip install x\n"
        "COPY <<EOF /etc/x\nnot run\nEOF\n"
        "RUN <<EOF\nset -e\nmake\nEOF\n"
    )
    assert dockerfile.run_scripts(text) == {
        2: "apk add 'a b'",
        3: "pip install x",
        7: "<<EOF\nset -e\nmake",
    }


def test_simple_commands_split_at_operators_and_lines():
    script = "set -eux; apk add curl && rm -rf /x || true\nwget -q 'a b' | sh # fetch\n(cd /x) &"
    assert dockerfile.simple_commands(script) == [
        ["set", "-eux"], ["apk", "add", "curl"], ["rm", "-rf", "/x"], ["true"],
        ["wget", "-q", "a b"], ["sh"], ["cd", "/x"]]  # fmt: skip
    assert dockerfile.simple_commands("apk add 'x")[-1][-1] == "'x"  # an open quote: at spaces
    assert dockerfile.simple_commands("") == []
