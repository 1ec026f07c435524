"""What both benchmarks share: a throwaway database, Redis prefix and data dir, the real
processes (reusing tests.support.stack), a registered user, and small statistics helpers.

Only loopback traffic: Postgres and Redis on 127.0.0.1, every service on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from tests.support.stack import REPO_ROOT, Stack

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def _require_loopback(url: str) -> None:
    host = httpx.URL(url.replace("postgresql://", "http://").replace("redis://", "http://")).host
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"benchmarks only talk to loopback services; refusing {url}")


@dataclass
class BenchEnv:
    name: str
    env: dict[str, str]
    data_dir: Path
    log_dir: Path
    database_url: str
    redis_url: str
    redis_prefix: str

    def admin(self, sql: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(sql)

    def sql_url(self) -> str:
        """The same database for plain psycopg (no SQLAlchemy driver suffix)."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def bench_env(label: str, *, root: Path = REPO_ROOT, **overrides: str) -> Iterator[BenchEnv]:
    """Create `conveyor_bench_<random>`, migrate it (with the migrations of the tree at
    `root`), yield the environment, drop it after."""
    _require_loopback(PG_ADMIN_URL)
    _require_loopback(REDIS_URL)
    name = f"conveyor_bench_{uuid.uuid4().hex[:8]}"
    scratch = Path(tempfile.mkdtemp(prefix=f"conveyor-bench-{label}-"))
    data_dir, log_dir = scratch / "data", scratch / "logs"
    data_dir.mkdir()
    log_dir.mkdir()
    database_url = (PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://",
                                                           "postgresql+psycopg://") + f"/{name}")
    env = {k: v for k, v in os.environ.items()}
    env.update({
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DATA_DIR": str(data_dir),
        "REDIS_KEY_PREFIX": f"{name}:",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "SERVICE_TOKEN": "bench-service-token",
        "SIGNUP_CREDITS": "10000000",
        "RATE_LIMIT_PDF_ASYNC": "1000000/hour",
        "RATE_LIMIT_JOB_START": "1000000/hour",
        "RATE_LIMIT_AUTH": "1000000/hour",
        "RATE_LIMIT_RECEIPTS": "1000000/hour",
        "ACCESS_TOKEN_EXPIRE_SECONDS": "86400",
        "LLM_PROVIDER": "none",
        "LOG_LEVEL": "INFO",  # the default of every service
        "PYTHONUNBUFFERED": "1",
        **overrides,
    })
    env.pop("LLM_BASE_URL", None)
    env.pop("LLM_API_KEY", None)
    bench = BenchEnv(name=name, env=env, data_dir=data_dir, log_dir=log_dir,
                     database_url=database_url, redis_url=REDIS_URL, redis_prefix=f"{name}:")
    bench.admin(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], cwd=root,
                       check=True, env=env, stdout=subprocess.DEVNULL)
        yield bench
    finally:
        bench.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        purge_redis_prefix(bench)
        if os.environ.get("BENCH_KEEP_LOGS"):
            shutil.rmtree(data_dir, ignore_errors=True)
            print(f"  logs kept in {log_dir}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def purge_redis_prefix(bench: BenchEnv, *, limit: int = 200_000) -> int:
    """Delete every key under this run's prefix (broker queues, bindings, rate limits)."""
    client = redis.Redis.from_url(bench.redis_url)
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{bench.redis_prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += client.delete(*batch)
            batch.clear()
        if deleted + len(batch) >= limit:
            break
    if batch:
        deleted += client.delete(*batch)
    return deleted


def new_stack(bench: BenchEnv, *, root: Path = REPO_ROOT) -> Stack:
    """The processes of `bench`, run from the source tree at `root`."""
    return Stack(env=dict(bench.env), log_dir=bench.log_dir, root=root)


@contextmanager
def exported_revision(rev: str) -> Iterator[tuple[Path, str]]:
    """A copy of the repository at `rev` (`git archive`) in a temporary directory, and the
    commit it names: a baseline's processes run from it (run with `python -m` from that
    directory, they import its code, not this tree's)."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=REPO_ROOT,
                            check=True, capture_output=True, text=True).stdout.strip()
    root = Path(tempfile.mkdtemp(prefix=f"conveyor-rev-{commit[:8]}-"))
    try:
        archive = subprocess.run(["git", "archive", commit], cwd=REPO_ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
        yield root, commit
    finally:
        shutil.rmtree(root, ignore_errors=True)


def register(base_url: str, *, prefix: str = "bench") -> dict[str, str]:
    """Register and log in a fresh user; the bearer header."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery staple"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.post("/api/v1/auth/register", json={"email": email,
                                                               "password": password})
        response.raise_for_status()
        token = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        token.raise_for_status()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@dataclass(kw_only=True)
class RequestStats:
    """One measured run of concurrent requests: the answers, their latencies, and the CPU
    seconds each process spent meanwhile."""

    system: str
    planned: int
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: dict[str, int] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    def cpu_ms_per_request(self) -> dict[str, float]:
        return {k: 1000 * v / self.ok if self.ok else float("nan")
                for k, v in self.cpu_s.items()}

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("latencies_ms")
        data.update(rps=round(self.rps, 1), p50_ms=round(self.p50, 2), p99_ms=round(self.p99, 2))
        return data


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine_note() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return (f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · "
            f"load average before the run {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}")


def now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone; Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def descendants(pid: int) -> list[int]:
    """Pids of every live process below `pid` (a Celery worker's pool children)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def postgres_backends(database: str) -> list[int]:
    """Pids of the local Postgres backends connected to `database` (by their title)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            found.append(int(entry.name))
    return found


PY_SPY_MISSING = "py-spy not installed (pip install py-spy into the venv)"


def find_py_spy() -> str | None:
    """py-spy on the PATH or beside this interpreter; None if neither."""
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


@contextmanager
def py_spy_recording(py_spy: str, pids: dict[str, int], out: Path, *, prefix: str,
                     with_children: Collection[str] = ()) -> Iterator[dict[str, str]]:
    """py-spy records each named process while the block runs; yields name -> the file of
    its collapsed stacks (`out`/`prefix`-name.txt). `with_children`: the names whose
    subprocesses (a Celery pool) are recorded too."""
    out.mkdir(parents=True, exist_ok=True)
    spies, files = [], {}
    for name, pid in pids.items():
        path = out / f"{prefix}-{name}.txt"
        argv = [py_spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                "--nonblocking", "-o", str(path)]
        if name in with_children:
            argv.append("--subprocesses")
        spies.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        files[name] = str(path)
    time.sleep(1.0)  # py-spy takes a moment to attach; the work must not start before
    try:
        yield files
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()


@dataclass
class CpuMeter:
    """CPU seconds spent by named processes (and Postgres backends of one DB) over a span.
    `trees`: the names whose child processes count too, for the children alive at both
    ends of the span (a Celery worker's pool child: its work is done there). A backend
    whose connection closes during the span is not counted: a pool that opens and closes
    connections under load shows too little Postgres CPU (0.00 for the naive floor at 50
    clients before its pool kept them, session 18)."""

    pids: dict[str, int]
    database: str | None = None
    trees: Collection[str] = ()
    _start: dict[str, float] | None = None
    _pg_start: dict[int, float] | None = None
    _tree_start: dict[int, float] | None = None

    def _pg(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in postgres_backends(self.database)} \
            if self.database else {}

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._start["bench-client"] = time.process_time()
        self._pg_start = self._pg()
        self._tree_start = {child: cpu_seconds(child) for name in self.trees
                            for child in descendants(self.pids[name])}

    def stop(self) -> dict[str, float]:
        assert self._start is not None and self._pg_start is not None
        used = {name: cpu_seconds(pid) - self._start[name] for name, pid in self.pids.items()}
        used["bench-client"] = time.process_time() - self._start["bench-client"]
        assert self._tree_start is not None
        for name in self.trees:
            used[name] += sum(cpu_seconds(child) - self._tree_start[child]
                              for child in descendants(self.pids[name])
                              if child in self._tree_start)
        if self.database:
            used["postgres"] = sum(cpu - self._pg_start.get(pid, 0.0)
                                   for pid, cpu in self._pg().items())
        return used


def quick_json_main(doc: str, run: Callable[..., dict[str, Any]],
                    render: Callable[[dict[str, Any]], str], argv: list[str] | None) -> int:
    """The command line of a benchmark that takes only --quick and --json."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--json", type=Path, help="write the full result as JSON here")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(render(result))
    return 0
