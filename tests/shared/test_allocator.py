"""The worker processes' malloc settings, each check in a fresh interpreter (the settings
stay for the life of the process that applies them)."""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.support.stack import REPO_ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="glibc's mallopt; elsewhere the call does nothing")

# A colour job's arrays: 1920x1080 as float32 Lab (24 MiB), uint8 BGR (6 MiB), and a result.
_CHURN = textwrap.dedent("""
    import resource
    import numpy as np
    from shared.allocator import keep_freed_memory_for_reuse

    applied = keep_freed_memory_for_reuse()

    def job():
        lab = np.ones((1080, 1920, 3), np.float32)
        image = np.ones((1080, 1920, 3), np.uint8)
        result = lab * 2
        del lab, image, result

    job()  # the first job maps the memory
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        job()
    print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _run(env: dict[str, str]) -> tuple[str, int]:
    completed = subprocess.run([sys.executable, "-c", _CHURN], cwd=REPO_ROOT, env=env,
                               capture_output=True, text=True, check=True)
    applied, faults = completed.stdout.split()
    return applied, int(faults)


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    return {**env, **extra}


def test_freed_arrays_are_reused_instead_of_faulted_in_again():
    applied, faults = _run(_environment())
    # 20 jobs of 54 MiB each would fault in ~276,000 fresh 4 KiB pages; glibc's defaults
    # gave ~40,000 for 30 such jobs in a measurement.
    assert applied == "True"
    assert faults < 2_000, faults


def test_an_operators_malloc_setting_is_left_alone():
    applied, _ = _run(_environment(MALLOC_TRIM_THRESHOLD_="131072"))
    assert applied == "False"
