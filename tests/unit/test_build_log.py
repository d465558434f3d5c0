"""Reading a build's log, either builder's: which step failed, whatever order BuildKit printed
it in, however the legacy builder's stream cut its lines."""

from dockerlab.core.building.failures import build_failed
from dockerlab.core.building.log import BuildLog
from dockerlab.core.building.progress_bar import BuildProgress

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
    log = BuildLog(BuildProgress("", False))
    log.feed(INTERLEAVED)
    assert log.step == "Step 3/3 : RUN echo about to fail && exit 3"
    assert any("did not complete successfully" in line for line in log.tail)


def test_a_header_printed_again_is_not_a_new_step():
    seen = []
    log = BuildLog(BuildProgress("", seen.append))
    log.feed("\n".join(INTERLEAVED.splitlines()[:6]))
    log.flush()  # the last line had no end
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
    shown = []
    log = BuildLog(BuildProgress("", shown.append))
    log.feed(DISK_FULL)
    failed = build_failed(log, "process did not complete successfully: exit code: 1")
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
    log = BuildLog(BuildProgress("", False))
    log.feed(HEADERLESS)
    assert log.step == "Step 2/2 : RUN echo about to fail && exit 3"


def test_buildkits_own_error_line_is_the_message_when_none_is_given():
    log = BuildLog(BuildProgress("", False))
    log.feed(DISK_FULL)
    failed = build_failed(log)
    assert str(failed).startswith('The build failed: process "/bin/sh -c dd if=/dev/zero')
    assert failed.step == "Step 2/2 : RUN dd if=/dev/zero of=/fill bs=1M count=400"


# The legacy builder's stream (Docker 20.10), as its "stream" pieces came: a step's output
# is cut wherever the step's writes ended, colours included; the build's labels (the kit's
# session label, a base's labels) are LABEL steps after the learner's; the error comes
# apart from the log, in the stream's errorDetail.
LEGACY_PIECES = [
    "Step 1/4 : FROM alpine:3.23\n",
    " ---> 1b44b5a3e06a\n",
    "Step 2/4 : RUN printf 'half a ' && sleep 1 && echo line && exit 3\n",
    " ---> Running in 4f2a9c1e0b7d\n",
    "\x1b[91mhalf a ",
    "line\n\x1b[0m",
    "Removing intermediate container 4f2a9c1e0b7d\n",
]
LEGACY_ERROR = "The command '/bin/sh -c printf ...' returned a non-zero code: 3"


def test_the_legacy_builders_pieces_are_read_as_whole_lines():
    shown = []
    log = BuildLog(BuildProgress("", shown.append), label_steps=2)
    for piece in LEGACY_PIECES:
        log.feed(piece)
    failed = build_failed(log, LEGACY_ERROR)
    assert "half a line" in log.lines  # one line, its colours gone
    assert "half a line" in shown
    assert failed.step == "Step 2/2 : RUN printf 'half a ' && sleep 1 && echo line && exit 3"
    assert failed.log_tail[-1] == "half a line"  # the engine's bookkeeping left out
    assert "exited with an error" in failed.hint
    assert not log.made  # the FROM step's id is the base's, not this build's


def test_a_last_line_without_its_end_is_read_when_the_log_ends():
    log = BuildLog(BuildProgress("", False))
    log.feed("Step 1/2 : FROM alpine:3.23\n ---> 1b44b5a3e06a\nStep 2/2 : LABEL a=b\n")
    log.feed("Successfully built 0123456789ab")
    assert log.lines[-1] == "Step 2/2 : LABEL a=b"
    log.flush()
    assert log.lines[-1] == "Successfully built 0123456789ab"
    assert log.step == "Step 1/1 : FROM alpine:3.23"  # the label step is the kit's
