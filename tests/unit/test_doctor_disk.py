"""The doctor's disk check reads ``df -Pk /`` as printed in a container on the engine."""

from __future__ import annotations

from dockerlab.classroom.checkup import free_kib

#: busybox df -Pk / in an alpine container (containerd store, overlay root).
BUSYBOX = """Filesystem           1024-blocks    Used Available Capacity Mounted on
overlay               61255492  20511236  37602148  36% /
"""
#: GNU coreutils df -Pk / in a debian container (a long device name stays on one line).
GNU = """Filesystem                                   1024-blocks     Used Available Capacity Mounted on
/dev/mapper/docker-253:0-1234-pool-snap-abcd    10475520  1051376   9424144      11% /
"""


def test_free_kib_reads_the_available_column():
    assert free_kib(BUSYBOX) == 37602148
    assert free_kib(GNU) == 9424144


def test_free_kib_says_none_when_df_printed_nothing_usable():
    assert free_kib("") is None
    assert free_kib("df: /: No such file or directory\n") is None
    assert free_kib("Filesystem 1024-blocks Used Available Capacity Mounted on\n") is None
