"""The `conveyor` command run for real: a subprocess of this checkout (server repository
and SDK both), with a home directory of its own, on pipes or on a pseudo-terminal."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.stack import REPO_ROOT

PASSWORD = "correct horse battery"
# This checkout's packages, not the editable installs the interpreter may know.
PYTHONPATH = os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "clients" / "python")])
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def new_email(prefix: str = "cli") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@dataclass
class Cli:
    """`conveyor` with HOME and XDG_CONFIG_HOME under `home` and CONVEYOR_URL set.
    `module`: the server repository's command, or the SDK's (client verbs only)."""

    url: str
    home: Path
    email: str | None = None
    module: str = "shared.cli"

    @property
    def credentials(self) -> Path:
        return self.home / "config" / "conveyor" / "credentials"

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", self.module, *args]

    def interruptible_argv(self, *args: str) -> list[str]:
        """`argv`, with Ctrl+C (SIGINT) delivered as a terminal delivers it, even when this
        test run was started where SIGINT is ignored (`(cmd &)` in a script: Python then
        installs no KeyboardInterrupt handler, and the command never sees the Ctrl+C)."""
        return ["env", "--default-signal=INT", *self.argv(*args)]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        env.update(PYTHONPATH=PYTHONPATH, HOME=str(self.home),
                   XDG_CONFIG_HOME=str(self.home / "config"), CONVEYOR_URL=self.url,
                   COLUMNS="160", NO_COLOR="1")
        env.update(extra)
        return {k: v for k, v in env.items() if v != ""}  # "" unsets

    def run(self, *args: str, stdin: str | None = None, timeout: float = 240,
            **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), cwd=REPO_ROOT, env=self.env(**env),
                              input=stdin, capture_output=True, text=True, timeout=timeout)

    def json(self, *args: str, **env: str) -> Any:
        """The --json document of a command that must succeed."""
        done = self.run(*args, "--json", **env)
        assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
        return json.loads(done.stdout)

    def login(self, *, register: bool = True) -> "Cli":
        self.email = self.email or new_email()
        args = ["login", "--email", self.email, "--password-stdin"]
        done = self.run(*args, *(["--register"] if register else []), stdin=PASSWORD + "\n")
        assert done.returncode == 0, (done.stdout, done.stderr)
        return self


@dataclass
class PtyRun:
    """The command on a pseudo-terminal (stdin, stdout and stderr), as in a shell: what it
    writes is read all along (a full terminal buffer would block it)."""

    popen: subprocess.Popen[bytes]
    master: int
    output: bytearray = field(default_factory=bytearray)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reader: threading.Thread | None = None

    @classmethod
    def start(cls, cli: Cli, *args: str) -> "PtyRun":
        master, slave = os.openpty()
        popen = subprocess.Popen(cli.interruptible_argv(*args), cwd=REPO_ROOT, stdin=slave,
                                 stdout=slave, stderr=slave,
                                 env=cli.env(TERM="xterm", COLUMNS="120"))
        os.close(slave)
        run = cls(popen=popen, master=master)
        run.reader = threading.Thread(target=run._drain, daemon=True)
        run.reader.start()
        return run

    def _drain(self) -> None:
        while True:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                if self.popen.poll() is not None:
                    return
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            with self.lock:
                self.output += chunk

    @property
    def text(self) -> str:
        with self.lock:
            return _ANSI.sub("", self.output.decode(errors="replace"))

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := re.search(pattern, self.text):
                return found
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} not seen; the terminal showed:\n{self.text[-3000:]}")

    def interrupt(self) -> None:
        self.popen.send_signal(signal.SIGINT)

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        finally:
            if self.popen.poll() is None:
                self.popen.kill()
                self.popen.wait()
            if self.reader is not None:
                self.reader.join(timeout=5)  # it has read the last output
            os.close(self.master)
