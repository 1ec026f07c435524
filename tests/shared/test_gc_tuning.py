"""Long-running processes freeze what they hold from startup, so a full garbage collection
walks only what was made since (see shared.gc_tuning). Each check runs in a fresh process:
freezing this one would keep the test session's garbage alive."""

import subprocess
import sys

import pytest

from tests.support.stack import REPO_ROOT

_FROZEN_AFTER = {
    # The gateway's lifespan runs (TestClient enters it), as uvicorn's would.
    "gateway": "from fastapi.testclient import TestClient\n"
               "from services.gateway.main import create_app\n"
               "with TestClient(create_app()):\n"
               "    print(gc.get_freeze_count())",
    # A Celery pool process once forked, and a worker's main process once ready.
    "worker pool process": "from celery import signals\n"
                           "import services.workers.pdf.app\n"
                           "signals.worker_process_init.send(sender=None)\n"
                           "print(gc.get_freeze_count())",
    "worker main process": "from celery import signals\n"
                           "import services.workers.pdf.app\n"
                           "signals.worker_ready.send(sender=None)\n"
                           "print(gc.get_freeze_count())",
}


@pytest.mark.parametrize("where", list(_FROZEN_AFTER))
def test_startup_objects_are_frozen(where: str) -> None:
    code = "import gc\nassert gc.get_freeze_count() == 0\n" + _FROZEN_AFTER[where]
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # The service's modules, routes and models: tens of thousands of objects at least.
    assert int(done.stdout.strip().splitlines()[-1]) > 10_000, done.stdout


def test_a_full_collection_after_the_freeze_skips_the_frozen() -> None:
    code = ("import gc\n"
            "from services.gateway.main import create_app\n"
            "from shared.gc_tuning import freeze_startup_objects\n"
            "create_app()\n"
            "before = len(gc.get_objects())\n"
            "freeze_startup_objects()\n"
            "print(before, len(gc.get_objects()))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    assert before > 10_000 and after < before // 100
