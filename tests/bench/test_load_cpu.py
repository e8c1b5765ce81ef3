"""`make load` says where each phase's CPU went: the app server's own processes apart from
its PDF render processes (started by multiprocessing), so the README's explanation of the
mix's throughput rests on measured seconds rather than on an estimate."""

import multiprocessing
import os
import time

import pytest

from bench.load import cpu_seconds, cpu_split

pytestmark = pytest.mark.slow


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_multiprocessing_child_counts_as_render_time_not_server_time():
    before = cpu_seconds(os.getpid())
    child = multiprocessing.get_context("spawn").Process(target=_burn, args=(0.6,))
    child.start()
    time.sleep(0.1)
    readings = []
    while child.is_alive():  # read while it runs: an ended process is no longer in the tree
        readings.append(cpu_seconds(os.getpid()))
        time.sleep(0.05)
    child.join()
    # The last reading may have met the child just ended and not yet reaped (a zombie, whose
    # command line can no longer be read): the latest reading that counted it is the one.
    during = max(readings, key=lambda reading: reading["render"])

    split = cpu_split(before, during, locust_s=0.0)
    assert split["render"] >= 0.3
    assert split["server"] < split["render"]  # this process mostly slept meanwhile
    assert split["machine_busy"] >= split["render"]
