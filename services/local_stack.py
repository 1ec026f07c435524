"""Start every Conveyor process on this machine (what `make run` does).

Without DATABASE_URL and REDIS_URL this is the embedded default: SQLite files under
DATA_DIR hold the data and the Celery broker, so no server needs to be installed.
"""

import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

from shared.settings import get_settings

# How long the gateway keeps an idle client connection (uvicorn's flag), everywhere it is
# started: see its command in docker-compose.yml.
GATEWAY_KEEP_ALIVE = ("--timeout-keep-alive", "75")


@dataclass(frozen=True, kw_only=True)
class ProcessSpec:
    name: str
    argv: list[str]


def local_processes(*, host: str, gateway_port: int = 8000, jobs_port: int = 8001
                    ) -> list[ProcessSpec]:
    python = sys.executable
    celery = [python, "-m", "celery"]
    return [
        ProcessSpec(name="jobs", argv=[python, "-m", "uvicorn", "services.jobs.main:app",
                                       "--host", "127.0.0.1", "--port", str(jobs_port)]),
        ProcessSpec(name="gateway", argv=[python, "-m", "uvicorn", "services.gateway.main:app",
                                          "--host", host, "--port", str(gateway_port),
                                          *GATEWAY_KEEP_ALIVE]),
        ProcessSpec(name="beat", argv=[*celery, "-A", "services.jobs.maintenance.app", "worker",
                                       "-B", "-Q", "maintenance", "-c", "1", "-n", "beat@%h",
                                       "--loglevel", "INFO"]),
        ProcessSpec(name="worker", argv=[*celery, "-A", "services.workers.all", "worker",
                                         "-Q", "pdf,ocr,color,crawl", "-c", "2",
                                         "-n", "worker@%h", "--loglevel", "INFO"]),
    ]


def run_local_stack(*, host: str, gateway_port: int = 8000, jobs_port: int = 8001) -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JOBS_SERVICE_URL": f"http://127.0.0.1:{jobs_port}"}
    specs = local_processes(host=host, gateway_port=gateway_port, jobs_port=jobs_port)
    children = [subprocess.Popen(spec.argv, env=env) for spec in specs]
    mode = "embedded (SQLite)" if settings.is_embedded else "Postgres + Redis"
    print(f"Conveyor is starting in {mode} mode:\n"
          f"  API      http://{host}:{gateway_port}  (docs: http://{host}:{gateway_port}/docs)\n"
          f"  jobs     http://127.0.0.1:{jobs_port} (internal)\n"
          f"  data     {settings.data_dir.resolve()}\nPress Ctrl+C to stop.", flush=True)
    stop = _stop_requested()
    while not stop.is_set() and all(child.poll() is None for child in children):
        stop.wait(0.5)
    _stop_all(children)
    return 0


def _stop_requested() -> threading.Event:
    """Set on Ctrl+C or SIGTERM, so the children are stopped either way, never orphaned."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
