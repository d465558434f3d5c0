"""Reading apt's download list: which file, and the digest a cached copy must match."""

from dockerlab.bases.debian import parse_print_uris


def test_print_uris_lines_give_file_and_sha256():
    digest = "4b355fad07d4fe1f5aa282e949281f8dcb7bcdebb023d7e40f4f8fe475e21e29"
    text = (f"'http://deb.debian.org/debian/pool/main/b/busybox/b.deb' busybox_1_amd64.deb "
            f"452120 SHA256:{digest}\n'http://x/y.deb' y_1_amd64.deb 10 MD5Sum:abc\nnoise\n")  # fmt: skip
    assert parse_print_uris(text) == [("busybox_1_amd64.deb", digest), ("y_1_amd64.deb", "")]
