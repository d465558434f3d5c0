"""Measuring images on the real engine: size, layers, history, attack surface."""

import dockerlab as dl
from dockerlab import assets


def test_measure_a_built_image_counts_layers_and_history(engine, bases):
    dockerfile = (
        f"FROM {bases['alpine']}\n"
        "ENV GREETING=hi\n"
        "RUN echo one > /one\n"
        "RUN echo two > /two\n"
        "COPY note.txt /note.txt\n"
        'CMD ["sh"]\n'
    )
    base = dl.measure(bases["alpine"])
    with dl.build(dockerfile, {"note.txt": "a note\n"}, progress=False) as img:
        m = dl.measure(img)
        hist = dl.history(img)
    assert m.layers == base.layers + 3  # two RUNs and a COPY; ENV, CMD and LABEL add none
    assert m.history >= base.history + 5
    assert hist["layer"].sum() == m.layers
    assert m.files == base.files + 3


def test_attack_surface_of_alpine_comes_from_its_filesystem(bases):
    s = dl.attack_surface(bases["alpine"])
    assert s["packages"] == 16  # the minirootfs package set (apk database)
    assert {"commands", "executables", "setuid", "shells"} <= set(s)
    assert s["shells"] >= 2  # busybox's sh and ash


def test_attack_surface_of_scratch_is_nothing_but_the_binary(bases):
    dockerfile = (
        f"FROM {bases['builder']} AS build\n"
        "COPY hello.c /src/hello.c\n"
        "RUN musl-gcc -static -Os -o /hello /src/hello.c\n"
        "FROM scratch\n"
        "COPY --from=build /hello /hello\n"
        'ENTRYPOINT ["/hello"]\n'
    )
    files = {"hello.c": assets.text("hello.c")}
    with dl.build(dockerfile, files, progress=False) as img:
        s = dl.attack_surface(img)
        out = dl.run(img).output
    assert s == {
        "files": 1,
        "packages": 0,
        "commands": 0,
        "executables": 1,
        "setuid": 0,
        "shells": 0,
    }
    assert out.startswith("hello from a static binary")


def test_debian_has_setuid_files_and_more_packages_than_alpine(bases):
    debian, alpine = dl.attack_surface(bases["debian"]), dl.attack_surface(bases["alpine"])
    assert debian["packages"] > alpine["packages"] > 0
    assert debian["setuid"] > 0
    assert debian["shells"] > alpine["shells"]


def test_compare_gives_one_row_per_image(bases):
    df = dl.compare({"alpine": bases["alpine"], "slim": bases["debian_slim"]})
    assert list(df.index) == ["alpine", "slim"]
    assert df.loc["alpine", "size_mb"] < df.loc["slim", "size_mb"]
