"""bench/classroom.py's arithmetic: from measured figures to learners per machine and sizing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "classroom.py"
_spec = importlib.util.spec_from_file_location("bench_classroom", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _setup(learners: int, workers: int, seconds: float) -> dict:
    ready = [seconds - 10 * (learners - 1 - i) for i in range(learners)]
    return {"learners": learners, "workers": workers, "seconds": seconds,
            "first_engine_s": 5.0, "ready_at_s": ready}  # fmt: skip


def test_setup_figures_take_the_fastest_run_and_fit_the_seconds_each_learner_adds():
    runs = [_setup(1, 1, 20), _setup(1, 1, 35), _setup(2, 1, 30), _setup(4, 1, 50),
            _setup(4, 1, 70), _setup(4, 2, 40)]  # fmt: skip
    got = bench._setup_figures(runs)
    assert [(r["learners"], r["workers"], r["seconds"]) for r in got["best"]] == [
        (1, 1, 20), (2, 1, 30), (4, 1, 50), (4, 2, 40)]  # fmt: skip
    assert got["per_learner_setup_s"] == pytest.approx(10)
    assert got["fixed_setup_s"] == pytest.approx(10)
    assert got["engine_and_images_s"] == pytest.approx(10)


def _measured(free_gib: float, cpu_s: float) -> dict:
    def learner(ws: float) -> dict:
        return {"working_set_mib": {"mean": ws, "peak": ws}, "cpu_s": cpu_s}

    return {"memory_gib": 24.0, "cpus": 2, "free_gib": free_gib, "class_folder_mib": 1024,
            "at_rest": {"a": learner(100), "b": learner(120)},
            "notebook": learner(300), "notebook_all_at_once": {"a": learner(600)},
            "per_learner_setup_s": 10.0, "fixed_setup_s": 20.0,
            "setups": []}  # fmt: skip


def test_capacity_names_the_resource_that_binds():
    by_disk = bench.capacity(_measured(free_gib=52, cpu_s=8))
    assert by_disk["disk"] == 5  # (52 - 2 kept free) // (8 + 2) GiB
    assert by_disk["memory_guaranteed"] == 9  # 24 GiB * 0.75 // 2 GiB
    assert by_disk["memory_all_running"] == 30  # the highest peak, all at once: 600 MiB
    assert by_disk["memory_at_rest"] == 153  # the busiest learner at rest: 120 MiB
    assert by_disk["cpu_all_at_once"] == 15  # 2 cores * 60 s // 8 CPU seconds
    assert (by_disk["binds"], by_disk["learners"]) == ("disk", 5)
    by_cpu = bench.capacity(_measured(free_gib=500, cpu_s=30))
    assert (by_cpu["binds"], by_cpu["learners"]) == ("cpu_all_at_once", 4)


def test_sizing_scales_the_measurements_linearly():
    got = bench.sizing(_measured(free_gib=52, cpu_s=8), 30)
    assert got["memory_guaranteed_gib"] == 80  # 30 * 2 GiB / 0.75
    assert got["memory_all_running_gib"] == 24  # ceil(30 * 600 MiB / 0.75)
    assert got["disk_gib"] == 303  # 30 * 10 GiB + 2 kept free + 1 for the class folder
    assert got["cores_all_at_once"] == 4  # ceil(30 * 8 s / 60 s)
    assert got["setup_min_one_at_a_time"] == pytest.approx((20 + 10 * 30) / 60)
