"""Real Conveyor processes for tests: job service, gateway, workers, beat.

Each is a subprocess started with the same environment the test session uses, talking
to the machine's real Postgres and Redis (or to the embedded SQLite default).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.local_stack import GATEWAY_KEEP_ALIVE

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    def stop(self, timeout: float = 15) -> None:
        """Stop the process and everything it started (it leads its own session)."""
        stop_group(self.popen, timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    processes: list[Process] = field(default_factory=list)
    gateway_url: str = ""
    jobs_url: str = ""
    # Metrics URL of each worker started with a metrics port, by worker name.
    worker_metrics_urls: dict[str, str] = field(default_factory=dict)
    # Every process gets an empty DATA_DIR of its own (under log_dir): for object storage,
    # where nothing may pass from the gateway to a worker through a shared disk.
    separate_data_dirs: bool = False
    # The source tree the processes run (and import) from: another revision's exported
    # copy for a benchmark's baseline.
    root: Path = REPO_ROOT

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        log_path = self.log_dir / f"{name}-{len(self.processes)}.log"
        log = log_path.open("wb")
        env = env or self.env
        if self.separate_data_dirs:
            data_dir = self.log_dir / f"data-{name}-{len(self.processes)}"
            data_dir.mkdir()
            env = {**env, "DATA_DIR": str(data_dir)}
        popen = subprocess.Popen(argv, cwd=self.root, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        process = Process(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def start_api(self) -> None:
        jobs_port, gateway_port = free_port(), free_port()
        self.jobs_url = f"http://127.0.0.1:{jobs_port}"
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        self.env["JOBS_SERVICE_URL"] = self.jobs_url
        self.spawn("jobs", _uvicorn("services.jobs.main:app", jobs_port))
        self.spawn("gateway", [*_uvicorn("services.gateway.main:app", gateway_port),
                               *GATEWAY_KEEP_ALIVE])
        wait_http(f"{self.jobs_url}/health", self)
        wait_http(f"{self.gateway_url}/health", self)

    def start_worker(self, name: str = "worker-pdf", *, queues: str = "pdf",
                     app: str = "services.workers.pdf.app", concurrency: int = 2,
                     env: dict[str, str] | None = None, metrics: bool = False) -> Process:
        """`metrics`: serve the worker's metrics on a free METRICS_PORT (multiprocess
        mode, in a directory of its own), at `worker_metrics_urls[name]`."""
        argv = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queues,
                "-c", str(concurrency), "-n", f"{name}-{len(self.processes)}@%h",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        if metrics:
            port = free_port()
            directory = self.log_dir / f"metrics-{name}-{len(self.processes)}"
            env = {**(env or self.env), "METRICS_PORT": str(port),
                   "PROMETHEUS_MULTIPROC_DIR": str(directory)}
            self.worker_metrics_urls[name] = f"http://127.0.0.1:{port}/metrics"
        process = self.spawn(name, argv, env)
        wait_log(process, "ready")
        return process

    def start_beat(self) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "services.jobs.maintenance.app", "worker",
                "-B", "-Q", "maintenance", "-c", "1", "-n", f"beat-{len(self.processes)}@%h",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle"]
        process = self.spawn("beat", argv)
        wait_log(process, "ready")
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


def stop_group(popen: subprocess.Popen, *, timeout: float = 15) -> None:
    """SIGTERM the process group, wait, then SIGKILL whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGKILL)  # children that outlived their parent
    popen.wait()


def _uvicorn(app: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "warning"]


def wait_http(url: str, stack: Stack, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    logs = "\n".join(f"--- {p.name}\n{p.log_tail()}" for p in stack.processes)
    raise RuntimeError(f"{url} did not come up\n{logs}")


def wait_log(process: Process, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.log_path.exists() and needle in process.log_path.read_text(errors="replace"):
            return
        if process.popen.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} not ready:\n{process.log_tail()}")


def base_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()}
    env.update(overrides)
    return env


@contextlib.contextmanager
def gateway_with_default(stack: Stack, setting: str) -> Iterator[str]:
    """A second gateway whose environment lacks `setting`, so it runs on its production
    default (a rate limit the session gateway raises, for example); yields its URL."""
    env = {k: v for k, v in stack.env.items() if k != setting}
    with _second_gateway(stack, f"gateway-{setting.lower()}", env) as url:
        yield url


@contextlib.contextmanager
def gateway_with_settings(stack: Stack, **settings: str) -> Iterator[str]:
    """A second gateway with these settings over the session's (a rate limit tight
    enough to hit in a test, for example); yields its URL."""
    with _second_gateway(stack, "gateway-custom", {**stack.env, **settings}) as url:
        yield url


@contextlib.contextmanager
def _second_gateway(stack: Stack, name: str, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    process = stack.spawn(name, _uvicorn("services.gateway.main:app", port), env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health", stack)
        yield url
    finally:
        process.stop()
