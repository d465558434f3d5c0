"""Reading a build's log: which step failed, whatever order BuildKit printed it in."""

from dockerlab.build_progress import BuildProgress
from dockerlab.building import _Log

# BuildKit's plain progress, as Debian 12's DOCKER_BUILDKIT=1 CLI printed it in a CI run:
# the FROM vertex's header comes again after the RUN step started, then the RUN fails.
INTERLEAVED = """\
#4 [1/3] FROM docker.io/library/alpine:3.23
#4 DONE 0.0s
#5 [2/3] RUN echo step-one > /one
#5 DONE 0.3s
#6 [3/3] RUN echo about to fail && exit 3
#4 [1/3] FROM docker.io/library/alpine:3.23
#6 0.301 about to fail
#6 ERROR: process "/bin/sh -c echo about to fail && exit 3" did not complete successfully: exit code: 3
------
 > [3/3] RUN echo about to fail && exit 3:
#6 0.301 about to fail
------
"""


def test_the_failing_step_is_the_vertex_of_the_error_line():
    log = _Log(BuildProgress("", False))
    log.feed(INTERLEAVED)
    assert log.step == "Step 3/3 : RUN echo about to fail && exit 3"
    assert any("did not complete successfully" in line for line in log.tail)


def test_a_header_printed_again_is_not_a_new_step():
    seen = []
    log = _Log(BuildProgress("", seen.append))
    log.feed("\n".join(INTERLEAVED.splitlines()[:6]))
    assert log.step == "Step 3/3 : RUN echo about to fail && exit 3"


# A full disk on Docker 28 (a CI run): the step's own output, then BuildKit's summary
# (the step again, the Dockerfile's lines) longer than the tail the kit keeps.
DISK_FULL = """\
#5 [1/2] FROM docker.io/library/alpine:3.23
#5 DONE 0.0s
#6 [2/2] RUN dd if=/dev/zero of=/fill bs=1M count=400
#6 0.412 dd: error writing '/fill': No space left on device
#6 0.413 201+0 records in
#6 0.413 199+0 records out
#6 0.413 208666624 bytes (199.0MB) copied, 0.3 seconds, 663.1MB/s
#6 ERROR: process "/bin/sh -c dd if=/dev/zero of=/fill bs=1M count=400" did not complete successfully: exit code: 1
------
 > [2/2] RUN dd if=/dev/zero of=/fill bs=1M count=400:
0.412 dd: error writing '/fill': No space left on device
0.413 201+0 records in
0.413 199+0 records out
0.413 208666624 bytes (199.0MB) copied, 0.3 seconds, 663.1MB/s
------
Dockerfile:2
--------------------
   1 |     FROM alpine:3.23
   2 | >>> RUN dd if=/dev/zero of=/fill bs=1M count=400
   3 |
--------------------
ERROR: failed to solve: process "/bin/sh -c dd if=/dev/zero of=/fill bs=1M count=400" did not complete successfully: exit code: 1
"""


def test_a_failed_step_keeps_its_own_output_and_error_however_long_the_summary():
    from dockerlab.building import _failure

    shown = []
    log = _Log(BuildProgress("", shown.append))
    log.feed(DISK_FULL)
    failed = _failure("process did not complete successfully: exit code: 1", log)
    assert failed.step == "Step 2/2 : RUN dd if=/dev/zero of=/fill bs=1M count=400"
    assert any("No space left on device" in line for line in failed.log_tail)
    assert failed.log_tail[-1].startswith("#6 ERROR: ")
    assert "disk is full" in failed.hint
    assert any("No space left on device" in line for line in shown)  # the bar showed it too


# Debian 12's DOCKER_BUILDKIT=1 CLI (20.10): the ERROR line's vertex has no header the
# log shows (seen once in CI); BuildKit's summary after it still names the failing step.
HEADERLESS = """\
#5 [1/2] FROM docker.io/library/alpine:3.23
#5 sha256:07984e98009562338c604efa34445fa223b025b75e649807a9260d7f1fb97429
#5 CACHED
#4 0.055 about to fail
#4 ERROR: executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3
------
 > [2/2] RUN echo about to fail && exit 3:
------
executor failed running [/bin/sh -c echo about to fail && exit 3]: exit code: 3
"""


def test_buildkits_summary_names_the_failing_step_when_its_header_is_missing():
    log = _Log(BuildProgress("", False))
    log.feed(HEADERLESS)
    assert log.step == "Step 2/2 : RUN echo about to fail && exit 3"
