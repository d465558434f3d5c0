"""The encodings a secret search finds (dockerlab.inspect.secret_forms), on bytes made here."""

import base64
import gzip
import io
import zlib
from urllib.parse import quote

import pytest

from dockerlab.inspect.secret_forms import MAX_INFLATE, SecretFinder, encodings

SECRET = "tok-FAKE-3f9a41c07be2"
RAW = SECRET.encode()
ENCODERS = {
    "base64": base64.b64encode,
    "base64 without padding": lambda b: base64.b64encode(b).rstrip(b"="),
    "base64url": base64.urlsafe_b64encode,
    "base32": base64.b32encode,
    "hex": lambda b: b.hex().encode(),
    "HEX": lambda b: b.hex().upper().encode(),
    "url-encoded": lambda b: quote(b, safe="").encode(),
    "reversed": lambda b: b[::-1],
}


@pytest.mark.parametrize("name", ENCODERS)
@pytest.mark.parametrize("before", [b"", b"a", b"ab", b"abc", b"abcd"])
def test_every_encoding_at_every_offset_is_found(name, before):
    data = b"config: " + ENCODERS[name](before + RAW + b"\n") + b"\n"
    assert [s for s, _ in SecretFinder([SECRET]).in_bytes(data)] == [SECRET]


@pytest.mark.parametrize("compress", [gzip.compress, zlib.compress])
def test_a_compressed_copy_is_found_across_chunks(compress):
    data = compress(b"x" * 300_000 + base64.b64encode(b"y" + RAW) + b"z" * 1000)
    found = SecretFinder([SECRET]).in_stream(io.BytesIO(data), chunk=4096)
    assert found == [(SECRET, "compressed base64 (offset 2)")]  # its first whole 3-byte group


def test_a_plain_search_finds_no_encoding():
    finder = SecretFinder([SECRET], encoded=False)
    assert finder.in_bytes(base64.b64encode(RAW)) == []
    assert finder.in_stream(io.BytesIO(gzip.compress(RAW))) == []
    assert finder.in_bytes(b"..." + RAW) == [(SECRET, "plain")]


def test_other_bytes_find_nothing_and_a_bomb_stops():
    finder = SecretFinder([SECRET])
    assert finder.in_bytes(base64.b64encode(b"tok-REAL-3f9a41c07be2" * 3)) == []
    bomb = zlib.compress(bytes(MAX_INFLATE + 2**20) + RAW)
    assert finder.in_stream(io.BytesIO(bomb)) == []  # inflated no further than MAX_INFLATE


def test_short_forms_are_not_searched():
    assert all(len(f) >= 8 for f in encodings(SECRET).values())
    assert not SecretFinder([""])
