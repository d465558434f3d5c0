# %% [markdown]
# # The class, live
#
# For the instructor of a workshop set up with `python -m dockerlab classroom setup`
# (see [the instructor's guide](../docs/instructor.md)). Run this notebook **as root on
# the class's machine**: it reads each learner's own progress file and asks each
# learner's engine how it is doing. Nothing here changes a learner's files or engine.
#
# - **Engines**: running or stopped, disk used of the learner's disk, containers and
#   images on it, exercise questions passed and when the last one was.
# - **Exercises**: question x learner. Where `python -m dockerlab grade --class` measured
#   it: *regraded-passed* or *regraded-failed*, with when (kept where only root writes).
#   Elsewhere *self-reported only*, from the learner's own progress file (which she can
#   write): *passed* (when, after how many checked answers), *not yet* (tried, not
#   passed) or *not attempted*. As a table and a chart.
#
# The cell below redraws everything every 30 seconds until you interrupt the kernel
# (the ■ button). `class_view.class_progress()` and `class_view.status()` give the same
# tables to work with.

# %%
import os

from dockerlab.classroom import view as class_view

# Redraw until interrupted; a number: that many times (the course's tests draw it once).
ROUNDS = int(os.environ.get("DOCKERLAB_CLASS_VIEW_ROUNDS", "0")) or None
class_view.watch(every=30, rounds=ROUNDS)
