"""A secret's common encodings, and a search that finds any of them, compressed or not.

"No trace of the token" means no copy of it in any form a line of shell turns back
into the token: ``base64`` (with or without padding, standard or URL-safe alphabet),
``base32``, hex (``xxd -p``, either case), URL-encoding, the token reversed (``rev``),
and any of those inside gzip or zlib data (``gzip``, ``pigz -z``, Python's ``zlib``).

An encoding of a secret that sits inside a bigger text depends on where it starts:
base64 turns 3 bytes into 4 characters, so a secret starting at offset 0, 1 or 2 of a
3-byte group gives three different strings. :func:`encodings` gives, for each offset,
the characters that encode only the secret's own bytes (the first and last partial
groups dropped): whatever is around it, padded or not, one of them is in the text.
Base32 likewise, with its 5-byte groups.

:class:`SecretFinder` searches bytes for all of them at once: file contents (and what
a gzip or zlib stream at a file's start holds, decompressed up to
:data:`MAX_INFLATE` bytes) and text (names, the image config).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable, Sequence
from typing import IO
from urllib.parse import quote

#: The most bytes a compressed file is inflated to while searching it (a zip bomb stops here).
MAX_INFLATE = 64 << 20
#: Shortest encoded form searched for: shorter ones would match by chance.
MIN_FORM = 8


def _groups(raw: bytes, size: int, encode) -> dict[int, bytes]:
    """For each offset, the encoding of the whole ``size``-byte groups the secret fills."""
    out = {}
    for start in range(size):
        whole = (len(raw) - start) // size * size
        if whole > 0:
            out[start] = encode(raw[start : start + whole])
    return out


def encodings(secret: str | bytes) -> dict[str, bytes]:
    """Every form of ``secret`` the search looks for, by name (the plain one first).

    Example:
        >>> encodings("tok-FAKE-3f9a41c07be2")["base64 (offset 0)"]
        b'dG9rLUZBS0UtM2Y5YTQxYzA3YmUy'
    """
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    forms = {"plain": raw, "reversed": raw[::-1]}
    for start, enc in _groups(raw, 3, lambda b: base64.b64encode(b).rstrip(b"=")).items():
        forms[f"base64 (offset {start})"] = enc
        forms[f"base64url (offset {start})"] = enc.replace(b"+", b"-").replace(b"/", b"_")
    for start, enc in _groups(raw, 5, lambda b: base64.b32encode(b).rstrip(b"=")).items():
        forms[f"base32 (offset {start})"] = enc
    forms["hex"] = binascii.hexlify(raw)
    forms["HEX"] = forms["hex"].upper()
    forms["url-encoded"] = quote(raw, safe="").encode()
    forms["percent-encoded"] = "".join(f"%{b:02X}" for b in raw).encode()
    forms["percent-encoded (lower case)"] = forms["percent-encoded"].lower()
    unique: dict[bytes, str] = {}
    for name, form in forms.items():
        if len(form) >= min(MIN_FORM, len(raw)):
            unique.setdefault(form, name)
    return {name: form for form, name in unique.items()}


class SecretFinder:
    """Searches bytes for several secrets in every form of :func:`encodings`.

    Args:
        secrets: The secrets' values (empty ones are ignored).
        encoded: False to look for the plain values only (no encodings, no decompression).

    Example:
        >>> finder = SecretFinder(["tok-FAKE-3f9a41c07be2"])
        >>> finder.in_bytes(b"X=dG9rLUZBS0UtM2Y5YTQxYzA3YmUy")
        [('tok-FAKE-3f9a41c07be2', 'base64 (offset 0)')]
    """

    def __init__(self, secrets: Iterable[str | bytes], *, encoded: bool = True) -> None:
        self.encoded = encoded
        #: (secret, form name, form bytes) for every secret and form.
        self.forms = [
            (s, name, form)
            for s in dict.fromkeys(secrets)
            if s
            for name, form in (
                encodings(s) if encoded else {"plain": s.encode() if isinstance(s, str) else s}
            ).items()
        ]
        self.longest = max((len(f) for _, _, f in self.forms), default=1)

    def __bool__(self) -> bool:
        return bool(self.forms)

    def in_bytes(self, data: bytes, skip: Sequence[tuple] = ()) -> list[tuple]:
        """The (secret, form) pairs whose form is in ``data`` (leaving out ``skip``)."""
        return [(s, n) for s, n, f in self.forms if (s, n) not in skip and f in data]

    def in_text(self, text: str) -> list[tuple]:
        """The (secret, form) pairs in a text (a file name, a config value)."""
        return self.in_bytes(text.encode(errors="replace"))

    def in_stream(self, stream: IO[bytes], chunk: int = 2**20) -> list[tuple]:
        """The (secret, form) pairs in a file's contents, read in chunks (a form across two
        chunks is found). A file that starts as gzip or zlib data is also searched
        decompressed (forms found there are named ``gzip/zlib of ...``)."""
        found: list[tuple] = []
        keep = self.longest - 1
        tail = inflated_tail = b""
        inflater, inflated, first = None, 0, True
        while data := stream.read(chunk):
            if first and self.encoded:
                inflater = _inflater(data)
            first = False
            window = tail + data
            found += self.in_bytes(window, found)
            tail = window[-keep:] if keep else b""
            pending = data
            while inflater is not None and pending and inflated < MAX_INFLATE:
                try:
                    plain = inflater.decompress(pending, min(4 * chunk, MAX_INFLATE - inflated))
                except zlib.error:  # not compressed after all, or damaged: plain bytes only
                    inflater = None
                    break
                pending = inflater.unconsumed_tail
                inflated += len(plain)
                window = inflated_tail + plain
                found += [
                    (s, f"compressed {n}")
                    for s, n in self.in_bytes(window)
                    if (s, f"compressed {n}") not in found
                ]
                inflated_tail = window[-keep:] if keep else b""
        return found


def _inflater(head: bytes):
    """A decompressor for a gzip or zlib stream starting at ``head``; None for other data."""
    if head[:2] == b"\x1f\x8b":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0:
        return zlib.decompressobj()
    return None


__all__ = ["MAX_INFLATE", "MIN_FORM", "SecretFinder", "encodings"]
