"""`mteval.parallel.fork_map`: results in task order from forked workers; in this process for one job."""

from __future__ import annotations

import os
import sys
import time

import pytest
from mteval.parallel import fork_map


def _pid_and_square(x: int) -> tuple[int, int]:
    if x == 0:
        time.sleep(0.2)  # the first task finishes last: an unordered map would return it late
    return os.getpid(), x * x


@pytest.fixture
def no_torch(monkeypatch):
    """fork_map never forks once torch is imported (other tests import it): hide it for these tests."""
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_fork_map_keeps_order_and_forks(no_torch):
    out = list(fork_map(_pid_and_square, [(x,) for x in range(12)], jobs=2))
    assert [sq for _, sq in out] == [x * x for x in range(12)]
    assert os.getpid() not in {pid for pid, _ in out}


def test_fork_map_in_process_for_one_job_one_task_or_torch(no_torch, monkeypatch):
    assert list(fork_map(_pid_and_square, [(3,), (4,)], jobs=1)) == [(os.getpid(), 9), (os.getpid(), 16)]
    assert list(fork_map(_pid_and_square, [(5,)], jobs=2)) == [(os.getpid(), 25)]
    monkeypatch.setitem(sys.modules, "torch", object())
    assert list(fork_map(_pid_and_square, [(6,), (7,)], jobs=2)) == [(os.getpid(), 36), (os.getpid(), 49)]


def test_flag_stage_workers_give_the_same_flags_as_one_process(no_torch, monkeypatch):
    """The flag stage's route: ranges of segments of every system flagged in forked workers, each preparing its own
    range and flagging it in steps, equal flagging each system whole here."""
    from mteval import flags
    from mteval.flags import build_segments, flag_segments, flag_systems, make_detectors
    from mteval.runs.pipeline import _ranges

    src = ["普京同拜登通电话。", "双方讨论了俄美关系。", "拜登呼吁俄方缓和紧张局势。"]
    outputs = {"a": ["Putin spoke with Biden by phone.", "The two sides discussed relations.", "Biden called for calm."],
               "b": ["Putin phoned Trump.", "Both discussed Russia-US ties.", "Biden urged Russia to relax. tension."],
               "c": ["Putin called Biden.", "They talked about relations.", "Biden asked Russia to ease tensions."]}
    dets = make_detectors()
    systems = [build_segments(src, lines, [], {o: v for o, v in outputs.items() if o != name})
               for name, lines in outputs.items()]
    here = [flag_segments(segments, dets) for segments in systems]
    assert any(here)
    assert _ranges([1, 1, 1], 4) == [(0, 1), (1, 2), (2, 3)] and _ranges([1] * 5, 2) == [(0, 3), (3, 5)]
    assert _ranges([5, 1, 1, 1, 1, 1], 2) == [(0, 1), (1, 6)] and _ranges([], 2) == []
    monkeypatch.setattr(flags, "STEP", 1)  # the range of two segments in two steps
    parts = list(fork_map(flag_systems, [(systems, dets, lo, hi) for lo, hi in _ranges([1, 1, 1], 2)], jobs=2))
    assert [parts[0][k] + parts[1][k] for k in range(3)] == here
