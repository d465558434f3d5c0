r"""The capstone's app, ``ledger``: its files, its fake secret, and what its right output is.

The capstone exercise and its scorecard both need to know what a working ledger
prints (reports signed with the token it gets at run time), so that is written
here once. The app's sources and its deliberately bad Dockerfile live in
``assets/capstone/``.

Example:
    >>> ledger_report("t", 1, csv="a,150\nb,-50\n")
    'report 1: 2 rows, total 1.00 EUR, signature 50e7cfa7'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

#: The capstone's folder: the app, its data, and the deliberately bad Dockerfile.
CAPSTONE = Path(str(resources.files("dockerlab") / "assets" / "capstone"))
#: A real-world style Dockerfile: Python built from source on Alpine, as the official image is.
PYTHON_ALPINE = Path(str(resources.files("dockerlab") / "assets" / "python-alpine.Dockerfile"))
#: The capstone's fake secret: the value its bad Dockerfile bakes in with ENV.
CAPSTONE_TOKEN = "ledger-FAKE-token-7d1e0c5b9a"
#: What the capstone's container gets at run time (the token belongs here).
CAPSTONE_ENV = {"LEDGER_TOKEN": CAPSTONE_TOKEN, "LEDGER_INTERVAL_MS": "100"}
#: One right answer to the capstone (exercise 7), written once: the solution notebook
#: runs this very text (``build_tools/notebooks.py`` copies it there) and the scorecard's
#: tests score it. Multi-stage: static musl builds of ledger and dumb-init, FROM scratch,
#: no secret, not root, dumb-init as PID 1.
SOLUTION = r"""
FROM dockerlab/builder:trixie AS build
WORKDIR /src
COPY ledger.c dumb-init.tar.gz ./
RUN mkdir -p dumb-init /out \
 && tar xzf dumb-init.tar.gz -C dumb-init --strip-components=1 \
 && musl-gcc -static -Os -o /out/dumb-init dumb-init/dumb-init.c \
 && musl-gcc -static -Os -o /out/ledger ledger.c \
 && strip /out/dumb-init /out/ledger

FROM scratch
COPY --from=build /out/ /bin/
COPY ledger.csv /data/ledger.csv
USER 65534:65534
ENTRYPOINT ["/bin/dumb-init", "--"]
CMD ["/bin/ledger", "/data/ledger.csv"]
"""


def ledger_report(token: str, n: int, currency: str = "EUR", csv: str | None = None) -> str:
    """The report line ``ledger`` prints for its ``n``-th report (see ``capstone/ledger.c``).

    Rows and total of the CSV, signed with FNV-1a over the token and the total's
    eight bytes: what the app computes, computed here to check it did.
    """
    csv = (CAPSTONE / "ledger.csv").read_text() if csv is None else csv
    rows = total = 0
    for line in csv.splitlines():
        account, _, cents = line.partition(",")
        if account and re.fullmatch(r"\s*-?\d+\s*", cents):
            rows, total = rows + 1, total + int(cents)
    h = 2166136261
    for byte in [*token.encode(), *(total & (2**64 - 1)).to_bytes(8, "little")]:
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    whole, cents_ = abs(total) // 100 * (-1 if total < 0 else 1), abs(total) % 100
    return f"report {n}: {rows} rows, total {whole}.{cents_:02d} {currency}, signature {h:08x}"


def capstone_works(output: str, env: Mapping[str, str] = CAPSTONE_ENV) -> bool:
    """True if the ledger served: at least two reports, each signed with the run-time token.

    Its workers print the reports, so two of them mean the service ran and its
    orphaned workers did their work (``--once`` prints one report and exits).
    """
    token, currency = env.get("LEDGER_TOKEN", ""), env.get("LEDGER_CURRENCY", "EUR")
    good = [
        line
        for line in output.splitlines()
        if (m := re.match(r"report (\d+): ", line))
        and line.strip() == ledger_report(token, int(m[1]), currency)
    ]
    return len(good) >= 2
