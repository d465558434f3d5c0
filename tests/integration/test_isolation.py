"""Several learners on one engine (a workshop server, JupyterHub users sharing
DOCKER_HOST) do not see or remove each other's images and containers.

Four learner sessions run at once, as separate processes, each building the
SAME lesson Dockerfile under the SAME tag, running it, and cleaning up. Each
must run its own image, see only its own resources, and remove only those.
"""

import json
import os
import subprocess
import sys
import time

import dockerlab as dl

LEARNER = r"""
import json, os, sys, time
import dockerlab as dl
me = dl.labels.SESSION_ID
img = dl.build(sys.argv[1] + f"\nLABEL learner={me}\n", tag="dockerlab/workshop:lesson", progress=False)
ran = dl.run(img, ["sh", "-c", "cat /who"]).output.strip()
label = dl.client().images.get(img.ref).labels.get("learner")
box = dl.start(dl.ref("alpine"), ["sleep", "60"])
open(sys.argv[2] + "/" + me + ".ready", "w").close()
while not os.path.exists(sys.argv[2] + "/go"):      # wait until every learner is up
    time.sleep(0.2)
mine = dl.leftovers(me)
removed = dl.cleanup()
print(json.dumps({"me": me, "ran": ran, "label": label, "mine": mine, "removed": removed}))
"""


def test_four_learners_share_an_engine_without_touching_each_other(engine, bases, tmp_path):
    dockerfile = f"FROM {bases['alpine']}\nRUN echo lesson > /who"
    sessions = [f"learner{i}-{dl.labels.SESSION_ID}" for i in range(4)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LEARNER, dockerfile, str(tmp_path)],
            env={**os.environ, "DOCKERLAB_SESSION": s},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in sessions
    ]
    deadline = time.monotonic() + 300
    while len(list(tmp_path.glob("*.ready"))) < 4:
        assert time.monotonic() < deadline, "the learners did not all start"
        if any(p.poll() is not None for p in procs):  # one ended early: say why, hang on none
            for p in procs:
                p.kill()
            raise AssertionError([p.communicate()[1][-2000:] for p in procs])
        time.sleep(0.5)
    # Everyone is up at once: each session's resources are visible under its own label only.
    during = {s: dl.leftovers(s) for s in sessions}
    (tmp_path / "go").touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    for r in results:
        assert r["ran"] == "lesson"
        assert r["label"] == r["me"]  # the image it ran was its own, whatever the shared tag says
        assert len(r["mine"]["images"]) == 1 and len(r["mine"]["containers"]) == 1
        assert r["removed"]["images"] == 1 and r["removed"]["containers"] == 1
    for s, left in during.items():
        assert len(left["images"]) == 1 and len(left["containers"]) == 1, (s, left)
    assert len({tuple(left["images"]) for left in during.values()}) == 4  # four distinct images
    for s in sessions:
        assert not any(dl.leftovers(s).values())
