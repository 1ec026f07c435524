"""Static checks of the Docker Compose files and Dockerfiles (no Docker needed).

Both compose files are parsed with PyYAML; every image's Dockerfile is read to know which
repository paths land where in the image and which requirements file it installs. From the
command of each service the module it runs is found in the repository, and its import
closure (module-level imports, plus a Celery app's `include`) is followed to check that
every first-party module it needs is copied into the image and every third-party package
is pinned in the image's requirements file. Environment variables are checked against
the pydantic settings classes.
"""

import ast
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import packages_distributions
from itertools import pairwise
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError

from services.gateway.settings import GatewaySettings
from services.local_stack import GATEWAY_KEEP_ALIVE, local_processes
from services.workers.pdf.settings import PdfWorkerSettings
from shared.celery_app import TASK_QUEUES
from shared.db import POOL_SIZE
from shared.settings import DEFAULT_SECRET, Settings

REPO = Path(__file__).resolve().parent.parent
BASE_FILE = REPO / "docker-compose.yml"
DEV_FILE = REPO / "docker-compose.dev.yaml"
ENV_EXAMPLE = REPO / ".env.example"
FIRST_PARTY = ("shared", "services")

# Services running Conveyor code that needs the database, the broker and the object store.
APP_SERVICES = {"gateway", "jobs", "worker-pdf", "worker-ocr", "worker-color", "worker-crawl",
                "beat"}
# The one app service with a volume of its own at DATA_DIR (its celerybeat-schedule).
BEAT = "beat"
# Variables that are not Conveyor settings but legitimately set on a container.
NON_SETTINGS_ENV = {"PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "C_FORCE_ROOT",
                    "FLOWER_USER", "FLOWER_PASSWORD", "FLOWER_BASIC_AUTH", "POSTGRES_USER",
                    "POSTGRES_PASSWORD", "POSTGRES_DB", "TZ", "OMP_THREAD_LIMIT"}
# Settings whose default is unusable in a container in production. The storage ones too:
# the `local` default needs one disk shared by every process, a missing endpoint means AWS
# and missing keys mean boto3's own chain (no instance role in compose).
MUST_SET = {"SECRET_KEY", "SERVICE_TOKEN", "DATABASE_URL", "REDIS_URL", "DATA_DIR",
            "STORAGE_BACKEND", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"}
# Secrets, each required from the environment: ${NAME:?...}, never a default or a literal.
REQUIRED_SECRETS = ("SECRET_KEY", "SERVICE_TOKEN", "S3_SECRET_ACCESS_KEY")
WEB_PACKAGES = {"fastapi", "uvicorn", "starlette", "slowapi", "python-multipart"}
WEB_STATIC_DIR = REPO / "services" / "gateway" / "web" / "static"
_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# --------------------------------------------------------------------------- compose files

@cache
def load(path: Path) -> dict[str, Any]:
    assert path.is_file(), f"{path.name} is missing"
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict), \
        f"{path.name} has no services mapping"
    return data


def base_services() -> dict[str, dict[str, Any]]:
    return load(BASE_FILE)["services"]


def built_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in base_services().items() if "build" in svc}


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def argv_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "service has no command"
    return shlex.split(command) if isinstance(command, str) else [str(a) for a in command]


def interpolate(value: str, *, defaults: bool = True) -> str:
    """Compose-style ${VAR}, ${VAR:-default}, ${VAR:?error}: defaults, else a placeholder
    (without `defaults`, as if the operator had set every variable: always the placeholder)."""
    def repl(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        if op in (":-", "-") and defaults:
            return arg
        return f"test-{name.lower()}"
    return _INTERPOLATION.sub(repl, value)


def strings_in(node: Any) -> list[str]:
    """Every string (keys and values) in a parsed YAML document; comments are not included."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(node, list):
        return [s for item in node for s in strings_in(item)]
    return [node] if isinstance(node, str) else []


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def seconds(duration: str | int) -> float:
    if isinstance(duration, int):
        return float(duration)
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)", duration)
    assert parts, f"cannot parse duration {duration!r}"
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    return sum(float(n) * unit[u] for n, u in parts)


def container_ports(service: dict[str, Any]) -> set[int]:
    result = set()
    for port in service.get("ports") or []:
        target = port.get("target") if isinstance(port, dict) else str(port).rsplit(":", 1)[-1]
        result.add(int(str(target).split("/")[0]))
    return result


def mount_modes(service: dict[str, Any]) -> dict[str, bool]:
    """Container path -> whether the volume entry is mounted read-only."""
    result = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            result[volume["target"]] = bool(volume.get("read_only"))
        else:
            parts = str(volume).split(":")
            result[parts[1]] = len(parts) > 2 and "ro" in parts[2].split(",")
    return result


def mounts_at(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source for each volume entry."""
    result = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            result[volume["target"]] = volume.get("source", "")
        else:
            parts = str(volume).split(":")
            result[parts[1]] = parts[0]
    return result


# --------------------------------------------------------------------------- Dockerfiles

@dataclass
class Dockerfile:
    path: Path
    base_images: list[str] = field(default_factory=list)
    copies: list[tuple[list[str], str]] = field(default_factory=list)  # (sources, abs dest)
    requirements: list[str] = field(default_factory=list)
    requirement_paths: list[PurePosixPath] = field(default_factory=list)  # in the image
    apt_packages: set[str] = field(default_factory=set)
    user: str = "root"
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"

    def image_path(self, repo_path: str) -> PurePosixPath | None:
        """Where a repository file ends up in the image (last COPY wins), or None."""
        target = PurePosixPath(repo_path)
        found = None
        for sources, dest in self.copies:
            for src in sources:
                src_path = PurePosixPath(src.rstrip("/") or ".")
                if (REPO / src_path).is_dir():
                    if src_path == PurePosixPath(".") or target.is_relative_to(src_path):
                        rel = target if src_path == PurePosixPath(".") \
                            else target.relative_to(src_path)
                        found = PurePosixPath(dest) / rel
                elif target == src_path:
                    multi = len(sources) > 1 or dest.endswith("/")
                    found = PurePosixPath(dest) / src_path.name if multi else PurePosixPath(dest)
        return found

    @property
    def import_roots(self) -> set[PurePosixPath]:
        roots = {PurePosixPath(self.workdir)}  # uvicorn, celery -A and python -m add the cwd
        roots |= {PurePosixPath(p) for p in self.env.get("PYTHONPATH", "").split(":") if p}
        return roots


def _instructions(text: str) -> list[tuple[str, str]]:
    logical, buf = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        keyword, _, rest = buf.partition(" ")
        logical.append((keyword.upper(), rest.strip()))
        buf = ""
    return logical


@cache
def parse_dockerfile(path: Path) -> Dockerfile:
    assert path.is_file(), f"{path} is missing"
    df = Dockerfile(path=path)
    for keyword, rest in _instructions(path.read_text()):
        if keyword == "FROM":
            df.base_images.append(rest.split()[0])
        elif keyword == "WORKDIR":
            df.workdir = str(PurePosixPath(df.workdir) / rest)
        elif keyword == "USER":
            df.user = rest.split(":")[0]
        elif keyword == "ENV":
            for token in shlex.split(rest):
                if "=" in token:
                    key, _, value = token.partition("=")
                    df.env[key] = value
        elif keyword in ("COPY", "ADD"):
            if rest.startswith("["):
                args = [str(a) for a in ast.literal_eval(rest)]
            else:
                args = shlex.split(rest)
            if any(a.startswith("--from") for a in args):
                continue  # from another stage, not from the build context
            args = [a for a in args if not a.startswith("--")]
            *sources, dest = args
            df.copies.append((sources, str(PurePosixPath(df.workdir) / dest)
                              + ("/" if dest.endswith("/") else "")))
        elif keyword == "RUN" and "apt-get install" in rest:
            df.apt_packages |= _apt_packages(rest)
        elif keyword == "RUN" and "pip install" in rest:
            for req in re.findall(r"(?:-r|--requirement)[ =](\S+)", rest):
                df.requirements.append(req)
                df.requirement_paths.append(PurePosixPath(df.workdir) / req)
    return df


def _apt_packages(command: str) -> set[str]:
    """The packages of every `apt-get install` in a RUN command (options left out)."""
    packages: set[str] = set()
    for step in re.split(r"&&|;", command):
        words = shlex.split(step)
        if words[:1] == ["apt-get"] and "install" in words:
            packages |= {w for w in words[words.index("install") + 1:] if not w.startswith("-")}
    return packages


def dockerfile_of(name: str) -> Dockerfile:
    build = base_services()[name]["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = (BASE_FILE.parent / build.get("context", ".")).resolve()
    return parse_dockerfile(context / build.get("dockerfile", "Dockerfile"))


def requirement_names(req_file: str) -> set[str]:
    names = set()
    for line in (REPO / req_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(normalize(re.split(r"[\s=<>!~;\[]", line, maxsplit=1)[0]))
    return names


def normalize(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


# --------------------------------------------------------------------------- commands

@dataclass(frozen=True)
class Entry:
    module: str
    attr: str | None  # the object the command loads from the module, if any


def entry_of(argv: list[str]) -> Entry:
    """The first-party module a service command runs."""
    prog = PurePosixPath(argv[0]).name
    if prog == "celery" or argv[:3] == ["python", "-m", "celery"]:
        idx = argv.index("-A") if "-A" in argv else argv.index("--app")
        module, _, attr = argv[idx + 1].partition(":")
        return Entry(module, attr or "app")
    if prog == "uvicorn" or "uvicorn" in argv[:3]:
        target = next(a for a in argv[1:] if ":" in a and not a.startswith("-"))
        module, _, attr = target.partition(":")
        return Entry(module, attr)
    if prog.startswith("python") and "-m" in argv:
        return Entry(argv[argv.index("-m") + 1], None)
    if prog == "conveyor":
        return Entry("shared.cli", "main")
    raise AssertionError(f"unrecognised command {argv}")


def module_file(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def parse_module(module: str) -> ast.Module:
    path = module_file(module)
    assert path is not None, f"module {module} has no file in the repository"
    return ast.parse(path.read_text(), filename=str(path))


def defines(module: str, name: str) -> bool:
    for node in parse_module(module).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
        elif isinstance(node, ast.ImportFrom | ast.Import) and any(
                (a.asname or a.name.split(".")[0]) == name for a in node.names):
            return True
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def _module_level_nodes(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements executed at import time (descend into if/try, skip TYPE_CHECKING)."""
    result = []
    for node in body:
        result.append(node)
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                result += _module_level_nodes(node.orelse)
            else:
                result += _module_level_nodes(node.body) + _module_level_nodes(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(h.body for h in node.handlers)):
                result += _module_level_nodes(block)
    return result


def direct_imports(module: str) -> set[str]:
    """Absolute names a module imports when it is imported, plus Celery `include` modules."""
    tree = parse_module(module)
    is_pkg = module_file(module).name == "__init__.py"  # type: ignore[union-attr]
    package = module if is_pkg else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _module_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            names.add(source)
            names |= {f"{source}.{a.name}" for a in node.names
                      if module_file(f"{source}.{a.name}") is not None}
    for node in ast.walk(tree):  # create_celery_app(..., include=["pkg.tasks"]) and Celery()
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "include" and isinstance(kw.value, ast.List | ast.Tuple):
                    names |= {e.value for e in kw.value.elts
                              if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return names


def import_closure(entry: str) -> tuple[set[str], set[str]]:
    """(first-party modules, third-party top-level names) imported by running `entry`."""
    first, third, todo = set(), set(), [entry]
    while todo:
        module = todo.pop()
        if module in first:
            continue
        first.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages
        for name in direct_imports(module):
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                if module_file(name) is None:
                    # `from pkg import obj`: obj is an attribute, the module is pkg.
                    name = name.rpartition(".")[0]
                assert module_file(name) is not None, f"{module} imports missing {name}"
                todo.append(name)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
    return first, third


@cache
def _import_to_dists() -> dict[str, list[str]]:
    return packages_distributions()


def alembic_modules() -> set[str]:
    """Modules Alembic runs for `migrate`: migrations/env.py and every revision."""
    files = [REPO / "migrations" / "env.py", *sorted((REPO / "migrations/versions").glob("*.py"))]
    names = set()
    for path in files:
        for node in _module_level_nodes(ast.parse(path.read_text()).body):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


# --------------------------------------------------------------------------- settings

def settings_class_for(argv: list[str]) -> type[Settings]:
    module = entry_of(argv).module
    if module.startswith("services.gateway"):
        return GatewaySettings
    if module.startswith("services.workers"):
        return PdfWorkerSettings
    return Settings


ALL_SETTINGS_ENV = {name.upper() for cls in (Settings, GatewaySettings, PdfWorkerSettings)
                    for name in cls.model_fields}


def check_values(cls: type[Settings], values: dict[str, str], where: str) -> None:
    """Validate the (interpolated) values with the real settings class."""
    try:
        cls(_env_file=None, **values)  # type: ignore[call-arg]
    except ValidationError as exc:
        pytest.fail(f"{where}: {cls.__name__} rejects the environment: {exc}")


# Empty by design: no prefix is a fine production value.
OPTIONAL_EMPTY = {"REDIS_KEY_PREFIX"}


def unsafe_default_fields() -> set[str]:
    """Settings fields whose default cannot work in production (empty or the dev secret)."""
    return {name.upper() for name, info in Settings.model_fields.items()
            if info.default in ("", DEFAULT_SECRET)} - OPTIONAL_EMPTY


# =========================================================================== tests: images

BUILT = sorted(built_services()) if BASE_FILE.is_file() else []


def test_expected_services_exist() -> None:
    services = base_services()
    assert {"postgres", "redis", "minio", "minio-init", "migrate", "gateway", "jobs",
            "worker-pdf", "worker-ocr", "worker-color", "worker-crawl", "beat", "flower",
            "prometheus", "grafana"} <= set(services)
    assert {"migrate", "gateway", "jobs", "worker-pdf", "worker-ocr", "worker-color",
            "worker-crawl", "beat", "flower"} <= set(BUILT)


@pytest.mark.parametrize("name", BUILT)
def test_build_context_and_dockerfile_exist(name: str) -> None:
    build = base_services()[name]["build"]
    build = {"context": build} if isinstance(build, str) else build
    context = (BASE_FILE.parent / build.get("context", ".")).resolve()
    assert context == REPO, f"{name}: build context must be the repository root"
    assert (context / build.get("dockerfile", "Dockerfile")).is_file()


@pytest.mark.parametrize("name", BUILT)
def test_dockerfile_base_user_and_copies(name: str) -> None:
    df = dockerfile_of(name)
    assert df.base_images and df.base_images[-1] == "python:3.11-slim", df.base_images
    assert df.user not in ("root", "0"), f"{name}: image must end with a non-root USER"
    assert df.copies, f"{name}: Dockerfile copies nothing"
    for sources, _dest in df.copies:
        for src in sources:
            assert (REPO / src).exists(), f"{df.path}: COPY source {src} does not exist"
            top = PurePosixPath(src).parts[0] if src not in (".", "./") else "."
            assert top not in {".", "tests", "bench", ".venv", "var", ".git"}, \
                f"{df.path}: copies {src}; copy only the service's own source and shared/"


@pytest.mark.parametrize("name", BUILT)
def test_dockerfile_installs_existing_requirements(name: str) -> None:
    df = dockerfile_of(name)
    assert df.requirements, f"{name}: Dockerfile installs no requirements/*.txt"
    for req, in_image in zip(df.requirements, df.requirement_paths, strict=True):
        assert re.fullmatch(r"requirements/[\w.-]+\.txt", req), req
        assert (REPO / req).is_file(), f"{df.path}: {req} does not exist"
        assert df.image_path(req) == in_image, \
            f"{df.path}: pip reads {in_image}, but {req} is not copied there"


@pytest.mark.parametrize("name", ["worker-pdf", "worker-ocr", "worker-color", "worker-crawl"])
def test_worker_image_has_no_web_stack(name: str) -> None:
    df = dockerfile_of(name)
    assert df.requirements == [f"requirements/{name}.txt"]
    leaked = requirement_names(f"requirements/{name}.txt") & WEB_PACKAGES
    assert not leaked, f"the worker image would install {sorted(leaked)}"
    assert df.image_path("services/gateway/main.py") is None
    assert df.image_path("services/jobs/main.py") is None


def test_images_copy_only_their_own_services() -> None:
    expected = {"gateway": "services/gateway/main.py", "jobs": "services/jobs/main.py",
                "worker-pdf": "services/workers/pdf/app.py",
                "worker-ocr": "services/workers/ocr/app.py",
                "worker-color": "services/workers/color/app.py",
                "worker-crawl": "services/workers/crawl/app.py"}
    for name, own in expected.items():
        df = dockerfile_of(name)
        assert df.image_path(own) is not None, f"{name}: {own} not in the image"
        assert df.image_path("shared/settings.py") is not None, f"{name}: shared/ not copied"
        others = set(expected.values()) - {own}
        assert all(df.image_path(o) is None for o in others), \
            f"{name}: copies another service's source"


def test_gateway_image_holds_the_web_app_files() -> None:
    """The web app's page and assets are data files, outside any import closure: each must
    be copied, next to the module that serves them, and be package data for an install."""
    df = dockerfile_of("gateway")
    router = df.image_path("services/gateway/web/router.py")
    assert router is not None, "the gateway image lacks services/gateway/web/"
    files = sorted(WEB_STATIC_DIR.iterdir())
    assert {"index.html", "app.js", "app.css"} <= {f.name for f in files}
    for file in files:
        rel = file.relative_to(REPO).as_posix()
        assert df.image_path(rel) == router.parent / "static" / file.name, rel
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    assert "static/*" in package_data.get("services.gateway.web", [])
    assert (WEB_STATIC_DIR.parent / "__init__.py").is_file()


# =========================================================================== tests: commands

@pytest.mark.parametrize("name", BUILT)
def test_command_module_exists_in_repo_and_image(name: str) -> None:
    argv = argv_of(base_services()[name])
    entry = entry_of(argv)
    path = module_file(entry.module)
    assert path is not None, f"{name}: {entry.module} is not a file in the repository"
    if entry.attr:
        assert defines(entry.module, entry.attr), f"{name}: {entry.module} defines no {entry.attr}"
    df = dockerfile_of(name)
    rel = path.relative_to(REPO).as_posix()
    in_image = df.image_path(rel)
    assert in_image is not None, f"{name}: {rel} is not copied into {df.path}"
    root = in_image.parents[len(entry.module.split(".")) - (path.name != "__init__.py")]
    assert root in df.import_roots, f"{name}: {entry.module} lands under {root}, " \
        f"which is neither WORKDIR nor on PYTHONPATH ({df.import_roots})"


@pytest.mark.parametrize("name", BUILT)
def test_command_import_closure_fits_the_image(name: str) -> None:
    """Every module the command imports is copied, every package it imports is pinned."""
    argv = argv_of(base_services()[name])
    entry = entry_of(argv)
    first, third = import_closure(entry.module)
    if "migrate" in argv:
        for module in alembic_modules():
            top = module.split(".")[0]
            if top in FIRST_PARTY:
                more_first, more_third = import_closure(module)
                first |= more_first
                third |= more_third
            elif top not in sys.stdlib_module_names:
                third.add(top)
    if "flower" in argv:
        third.add("flower")
    df = dockerfile_of(name)
    for module in sorted(first):
        rel = module_file(module).relative_to(REPO).as_posix()  # type: ignore[union-attr]
        assert df.image_path(rel) is not None, \
            f"{name}: {entry.module} imports {module}, but {rel} is not copied into the image"
    pinned = set().union(*(requirement_names(r) for r in df.requirements))
    dists = _import_to_dists()
    for top in sorted(third):
        candidates = {normalize(d) for d in dists.get(top, [])}
        assert candidates, f"{name}: cannot tell which distribution provides `{top}`"
        assert candidates & pinned, f"{name}: {entry.module} needs `{top}` " \
            f"({sorted(candidates)}), not in {df.requirements}"


TESSERACT_DEBS = {"tesseract-ocr", "tesseract-ocr-pol", "tesseract-ocr-eng"}


@pytest.mark.parametrize("name", ["worker-pdf", "worker-ocr"])
def test_images_that_run_tesseract_install_it_with_its_languages(name: str) -> None:
    """pytesseract only starts the `tesseract` binary: the image must carry it and the
    pol+eng data the workers ask for, and keep its OpenMP to one thread per process."""
    _first, third = import_closure(entry_of(argv_of(base_services()[name])).module)
    assert "pytesseract" in third, f"{name} no longer runs Tesseract: update this test"
    df = dockerfile_of(name)
    assert df.apt_packages >= TESSERACT_DEBS, \
        f"{name}: apt-get installs {sorted(df.apt_packages)}, needs {sorted(TESSERACT_DEBS)}"
    assert df.env.get("OMP_THREAD_LIMIT") == "1", name


def test_migrate_runs_migrations_once() -> None:
    migrate = base_services()["migrate"]
    argv = argv_of(migrate)
    assert argv[-1] == "migrate" and entry_of(argv).module == "shared.cli", argv
    assert str(migrate.get("restart", "no")) in ("no", "on-failure"), \
        "a one-shot must not be restarted after it exits 0"
    assert depends_on(migrate).get("postgres") == "service_healthy"
    df = dockerfile_of("migrate")
    # shared/cli.py: ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
    cli = df.image_path("shared/cli.py")
    assert cli is not None
    assert df.image_path("alembic.ini") == cli.parent.parent / "alembic.ini", \
        "alembic.ini must sit next to shared/ in the image"
    # alembic.ini: script_location = %(here)s/migrations
    assert df.image_path("migrations/env.py") == cli.parent.parent / "migrations/env.py"
    versions = sorted((REPO / "migrations/versions").glob("*.py"))
    assert versions and all(df.image_path(p.relative_to(REPO).as_posix()) for p in versions)


def test_app_services_wait_for_migrations_and_servers() -> None:
    services = base_services()
    for name in sorted(APP_SERVICES):
        deps = depends_on(services[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get("minio-init") == "service_completed_successfully", \
            f"{name}: must start only once the bucket and the app's MinIO user exist"
        assert deps.get("postgres") == "service_healthy", name
        assert deps.get("redis") == "service_healthy", name


def test_servers_have_healthchecks() -> None:
    services = base_services()
    pg = services["postgres"]
    assert str(pg["image"]).startswith("postgres:16")
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    redis = services["redis"]
    assert str(redis["image"]).startswith("redis:7")
    assert "ping" in " ".join(redis["healthcheck"]["test"])


def test_redis_is_a_broker_and_never_evicts() -> None:
    argv = argv_of(base_services()["redis"])
    policy = argv[argv.index("--maxmemory-policy") + 1]
    assert policy == "noeviction", "an evicting broker silently loses queued tasks"
    assert argv[argv.index("--maxmemory") + 1] == "256mb"


def test_postgres_admits_every_pool_with_room_to_scale() -> None:
    """Each engine keeps up to POOL_SIZE connections once a burst opened them: the gateway
    and the job service two engines each, every Celery process (main and pool) a few (a
    task, the heartbeat, the reaper's lock). Every worker scaled to two replicas must still
    fit, with room for migrate, Flower and an operator's psql."""
    services = base_services()
    argv = argv_of(services["postgres"])
    settings = dict(arg.split("=", 1) for flag, arg in pairwise(argv) if flag == "-c")
    per_celery_process, spare = 3, 10
    needed = 2 * 2 * POOL_SIZE + spare
    for name, service in services.items():
        command = argv_of(service) if "command" in service else []
        if command[:1] != ["celery"] or "worker" not in command:
            continue
        flag = "--concurrency" if "--concurrency" in command else "-c"
        processes = int(command[command.index(flag) + 1]) + 1
        needed += processes * per_celery_process * (1 if name == "beat" else 2)
    assert int(settings["max_connections"]) >= needed


def test_http_services_ports_and_healthchecks() -> None:
    services = base_services()
    for name, path in (("gateway", "/health"), ("jobs", "/health")):
        argv = argv_of(services[name])
        port = int(argv[argv.index("--port") + 1])
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "python" in check and "urllib" in check, f"{name}: slim images have no curl"
        assert "curl" not in check and "wget" not in check
        assert f":{port}{path}" in check, f"{name}: healthcheck must hit port {port}{path}"
    assert container_ports(services["gateway"]) == {8000}
    assert not services["jobs"].get("ports"), "the job service is internal: never published"
    assert depends_on(services["gateway"]).get("jobs") in ("service_healthy", "service_started")


def test_gateway_keeps_idle_connections_longer_than_its_clients_do() -> None:
    """Wherever the gateway starts, it keeps an idle client connection longer than clients
    keep theirs (httpx's default), so a client never sends on a connection the gateway is
    closing: with both at 5 s, 50 clients got resets (bench.confirm_throughput)."""
    dockerfile = REPO / "services" / "gateway" / "Dockerfile"
    cmd = next(rest for keyword, rest in _instructions(dockerfile.read_text())
               if keyword == "CMD")
    commands = {
        "docker-compose.yml": argv_of(base_services()["gateway"]),
        "docker-compose.dev.yaml": argv_of(load(DEV_FILE)["services"]["gateway"]),
        "the gateway's Dockerfile": [str(a) for a in ast.literal_eval(cmd)],
        "make run": next(spec.argv for spec in local_processes(host="127.0.0.1")
                         if spec.name == "gateway"),
    }
    flag, seconds = GATEWAY_KEEP_ALIVE
    for where, argv in commands.items():
        assert argv[argv.index(flag) + 1] == seconds, where
    assert float(seconds) > httpx.Limits().keepalive_expiry


def test_jobs_service_url_points_at_the_jobs_service() -> None:
    services = base_services()
    argv = argv_of(services["jobs"])
    port = argv[argv.index("--port") + 1]
    assert env_of(services["gateway"])["JOBS_SERVICE_URL"] == f"http://jobs:{port}"


@pytest.mark.parametrize(("name", "queue"), [("worker-pdf", "pdf"), ("worker-ocr", "ocr"),
                                             ("worker-color", "color"),
                                             ("worker-crawl", "crawl")])
def test_workers_scale(name: str, queue: str) -> None:
    worker = base_services()[name]
    assert "container_name" not in worker, "container_name prevents --scale"
    assert "hostname" not in worker, "one hostname for all replicas gives one Celery node name"
    assert not worker.get("ports"), "published ports prevent --scale"
    argv = argv_of(worker)
    assert argv[argv.index("-Q") + 1] == queue
    assert "%h" in argv[argv.index("-n") + 1], "node name must be unique per replica"
    assert "-B" not in argv and "--beat" not in argv


def test_exactly_one_beat() -> None:
    services = base_services()
    with_beat = sorted(name for name, svc in services.items() if "command" in svc
                       and ({"-B", "--beat", "beat"} & set(argv_of(svc))))
    assert with_beat == ["beat"], f"beat must run in exactly one service, found {with_beat}"
    beat = services["beat"]
    assert (beat.get("deploy") or {}).get("replicas", 1) == 1
    assert entry_of(argv_of(beat)).module == "services.jobs.maintenance.app"
    assert dockerfile_of("beat").path == dockerfile_of("jobs").path


def test_every_routed_queue_is_consumed() -> None:
    consumed: set[str] = set()
    for svc in base_services().values():
        if "command" in svc and "worker" in argv_of(svc):
            argv = argv_of(svc)
            consumed |= set(argv[argv.index("-Q") + 1].split(","))
    routed = {q.value for q in TASK_QUEUES.values()}
    assert routed <= consumed, f"no worker consumes {sorted(routed - consumed)}"


def test_workers_shut_down_warm() -> None:
    for name in ("worker-pdf", "worker-ocr", "worker-color", "worker-crawl", "beat"):
        svc = base_services()[name]
        assert svc.get("stop_signal") == "SIGTERM", name
        assert seconds(svc.get("stop_grace_period", "10s")) >= 30, \
            f"{name}: the default 10 s kills tasks mid-page"


def test_flower_requires_basic_auth() -> None:
    flower = base_services()["flower"]
    argv = argv_of(flower)
    assert entry_of(argv).module == "services.workers.pdf.app"
    assert not [a for a in argv if a.startswith("--basic-auth")], \
        "the password belongs in FLOWER_BASIC_AUTH, not in the process list"
    auth = str(flower.get("environment", {}).get("FLOWER_BASIC_AUTH", ""))
    match = re.fullmatch(r"(\$\{[^}]+\}|[^:$]+):(.+)", auth)
    assert match, f"flower needs FLOWER_BASIC_AUTH=user:password, got {auth!r}"
    user, password = match.groups()
    assert user and password
    assert password.startswith("${FLOWER_PASSWORD:?"), \
        "compose must refuse to start flower without FLOWER_PASSWORD"
    assert 5555 in container_ports(flower)


# =========================================================================== tests: storage

# A pinned MinIO release (RELEASE.<UTC timestamp>), never `latest`.
MINIO_RELEASE = r"(?:quay\.io/)?minio/{}:RELEASE\.\d{{4}}-\d\d-\d\dT\d\d-\d\d-\d\dZ"
# Settings that pick the object store: the same in every app service.
STORAGE_ENV = ("STORAGE_BACKEND", "S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID",
               "S3_SECRET_ACCESS_KEY", "S3_REGION")
TRUE = {"1", "true", "yes", "on"}


def required_var(value: str) -> str | None:
    """NAME when `value` is exactly ${NAME:?...}: compose refuses to start without it."""
    match = _INTERPOLATION.fullmatch(value)
    return match.group(1) if match and match.group(2) == ":?" else None


def named_volumes() -> set[str]:
    return set(load(BASE_FILE).get("volumes") or {})


def _address_port(argv: list[str], flag: str, default: str) -> int:
    address = argv[argv.index(flag) + 1] if flag in argv else default
    return int(address.rsplit(":", 1)[1])


def minio_api_port() -> int:
    return _address_port(argv_of(base_services()["minio"]), "--address", ":9000")


def minio_console_port() -> int:
    argv = argv_of(base_services()["minio"])
    assert "--console-address" in argv, "without it the console moves to a random port"
    return _address_port(argv, "--console-address", "")


def init_argv(raw: bool = False) -> list[str]:
    """minio-init's entrypoint + command; as the container runs it unless `raw` (compose
    turns $$ into $)."""
    init = base_services()["minio-init"]
    entrypoint = init.get("entrypoint") or []
    entrypoint = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
    argv = [str(a) for a in entrypoint] + argv_of(init)
    return argv if raw else [a.replace("$$", "$") for a in argv]


@dataclass(frozen=True)
class McCall:
    argv: list[str]
    stdin: str


_MC_STUB = """
import json, os, sys
with open(os.environ["MC_LOG"], "a") as log:
    log.write(json.dumps({"argv": sys.argv[1:], "stdin": sys.stdin.read()}) + "\\n")
sys.exit(1 if os.environ.get("MC_FAIL") in sys.argv[1:] else 0)
"""


def init_env(*, defaults: bool = True) -> dict[str, str]:
    return {k: interpolate(v, defaults=defaults)
            for k, v in env_of(base_services()["minio-init"]).items()}


def run_init(tmp_path: Path, *, defaults: bool = True,
             **env_overrides: str) -> tuple[int, list[McCall]]:
    """Run minio-init's script with its own (interpolated) environment and a stand-in `mc`
    that records each call; MC_FAIL=<word> makes the calls with that argument fail."""
    argv = init_argv()
    assert Path(argv[0]).is_file(), f"{argv[0]} is not on this machine"
    stub = tmp_path / "mc"
    stub.write_text(f"#!{sys.executable}\n{_MC_STUB}")
    stub.chmod(0o755)
    log = tmp_path / "mc.log"
    env = init_env(defaults=defaults)
    env |= {"PATH": os.pathsep.join([str(tmp_path), "/usr/bin", "/bin"]), "MC_LOG": str(log),
            **env_overrides}
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60, check=False)
    lines = log.read_text().splitlines() if log.exists() else []
    return proc.returncode, [McCall(**json.loads(line)) for line in lines]


def calls_to(calls: list[McCall], *command: str) -> list[McCall]:
    return [c for c in calls if c.argv[:len(command)] == list(command)]


def app_storage_value(name: str, *, defaults: bool = True) -> str:
    """What the apps get for a storage setting, interpolated like compose would."""
    return interpolate(env_of(base_services()["gateway"])[name], defaults=defaults)


def test_app_services_store_files_in_minio() -> None:
    services = base_services()
    configurations = set()
    for name in sorted(APP_SERVICES):
        env = env_of(services[name])
        assert env.get("STORAGE_BACKEND") == "s3", \
            f"{name}: without a shared disk the `local` backend loses files between services"
        assert env.get("S3_ENDPOINT_URL") == f"http://minio:{minio_api_port()}", name
        assert re.fullmatch(r"\$\{S3_BUCKET(:-[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?\}",
                            env.get("S3_BUCKET", "")), f"{name}: bucket from ${{S3_BUCKET}}"
        for key in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
            assert required_var(env.get(key, "")) == key, \
                f"{name}: {key} must be required from the environment: ${{{key}:?...}}"
        presign = env.get("S3_PRESIGN_DOWNLOADS", "false").lower() in TRUE
        assert not presign or env.get("S3_PUBLIC_ENDPOINT_URL"), \
            f"{name}: a URL presigned for the internal minio:9000 is useless to clients"
        configurations.add(tuple(env.get(key) for key in STORAGE_ENV))
    assert len(configurations) == 1, f"the apps disagree about the store: {configurations}"


def test_nothing_passes_through_a_shared_disk() -> None:
    services = base_services()
    named = named_volumes()
    users: dict[str, set[str]] = {}
    for name, svc in services.items():
        for source in mounts_at(svc).values():
            if source in named:
                users.setdefault(source, set()).add(name)
    shared = {volume: sorted(names) for volume, names in users.items() if len(names) > 1}
    assert not shared, f"named volumes mounted by several services: {shared}"
    for name in sorted(APP_SERVICES - {BEAT}):
        svc = services[name]
        mounted = sorted(s for s in mounts_at(svc).values() if s in named)
        # Every replica of a scaled service would share the one volume.
        assert not mounted, f"{name} mounts {mounted}: files go through the bucket"
        data_dir = env_of(svc)["DATA_DIR"]
        assert data_dir not in mounts_at(svc), \
            f"{name}: {mounts_at(svc)[data_dir]} at {data_dir}: DATA_DIR is scratch, not shared"
        writable = sorted(t for t, read_only in mount_modes(svc).items() if not read_only)
        assert not writable, f"{name}: writable mounts {writable} (a host directory is a disk " \
            "shared by every container that mounts it)"
        # DATA_DIR is the container's own scratch, so the image must make it writable.
        df = dockerfile_of(name)
        assert re.search(rf"chown\s+(-\S+\s+)*{re.escape(df.user)}(:\S+)?\s+(\S+\s+)*"
                         rf"{re.escape(data_dir)}(\s|$)", df.path.read_text(), re.MULTILINE), \
            f"{name}: {df.path.name} must create {data_dir} owned by {df.user}"


def test_beat_keeps_its_schedule_on_its_own_volume() -> None:
    services = base_services()
    beat = services[BEAT]
    data_dir = env_of(beat)["DATA_DIR"]
    source = mounts_at(beat).get(data_dir)
    assert source in named_volumes(), f"beat: a named volume at {data_dir} keeps the schedule"
    others = sorted(name for name, svc in services.items()
                    if name != BEAT and source in mounts_at(svc).values())
    assert not others, f"beat's volume {source} is mounted by {others} too"
    # The volume only makes sense while the schedule file is kept in DATA_DIR.
    app = module_file(entry_of(argv_of(beat)).module)
    assert app is not None
    assert re.search(r"beat_schedule_filename\s*=.*\bdata_dir\b", app.read_text()), \
        f"{app.name} no longer keeps celerybeat-schedule in DATA_DIR: rethink beat's volume"


def test_minio_is_pinned_persistent_and_healthchecked() -> None:
    minio = base_services()["minio"]
    assert re.fullmatch(MINIO_RELEASE.format("minio"), str(minio["image"])), \
        f"pin a MinIO release, got {minio['image']}"
    argv = argv_of(minio)
    assert argv[0] == "server", argv
    assert mounts_at(minio).get(argv[1]) in named_volumes(), \
        f"minio: the objects in {argv[1]} must be on a named volume"
    check = minio.get("healthcheck") or {}
    assert check.get("test") and not check.get("disable"), "minio-init waits for it to be healthy"
    test = " ".join(check["test"])
    assert "mc ready local" in test or "/minio/health/" in test, test
    env = env_of(minio)
    for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert required_var(env.get(key, "")) == key, \
            f"minio: {key} must be required (the image defaults to minioadmin)"
    assert minio.get("restart") == "unless-stopped"


def test_minio_api_is_internal_and_its_console_on_localhost() -> None:
    minio = base_services()["minio"]
    published = container_ports(minio)
    assert minio_api_port() not in published, "the S3 API is for the apps: never published"
    assert published == {minio_console_port()}, published
    for port in minio["ports"]:
        assert str(port).startswith("${MINIO_CONSOLE_HOST:-127.0.0.1}:"), \
            f"the console is bound to localhost by default, like Flower: {port}"


def test_minio_init_is_a_one_shot_after_minio() -> None:
    init = base_services()["minio-init"]
    assert re.fullmatch(MINIO_RELEASE.format("mc"), str(init["image"])), init["image"]
    assert depends_on(init).get("minio") == "service_healthy"
    assert init.get("restart") == "no", "a one-shot must not be restarted after it exits 0"
    for arg in init_argv(raw=True):
        leftover = re.search(r"\$\{?[A-Za-z_]", arg.replace("$$", ""))
        assert not leftover, "compose would paste the value into the command (and so into " \
            "`docker inspect` and the process list): write $$VAR for the container's shell"


@pytest.mark.parametrize("defaults", [True, False], ids=["defaults", "all-set"])
def test_minio_init_creates_the_bucket_and_the_app_user(tmp_path: Path, defaults: bool) -> None:
    """With the defaults, and with every variable set (so a variable's default cannot stand
    in for the variable): minio-init sets up what the apps use."""
    returncode, calls = run_init(tmp_path, defaults=defaults)
    assert returncode == 0, calls
    minio_env = {k: interpolate(v, defaults=defaults)
                 for k, v in env_of(base_services()["minio"]).items()}

    def app_storage(name: str) -> str:
        return app_storage_value(name, defaults=defaults)

    [alias_set] = calls_to(calls, "alias", "set")
    alias, url = alias_set.argv[2:4]
    assert url == app_storage("S3_ENDPOINT_URL"), "mc and the apps talk to the same store"
    credentials = alias_set.argv[4:6] or alias_set.stdin.splitlines()
    assert credentials == [minio_env["MINIO_ROOT_USER"], minio_env["MINIO_ROOT_PASSWORD"]], \
        "minio-init must log in with the server's root credentials"

    [make_bucket] = calls_to(calls, "mb")
    assert "--ignore-existing" in make_bucket.argv, "a second `up` must not fail on the bucket"
    assert f"{alias}/{app_storage('S3_BUCKET')}" in make_bucket.argv, \
        "the bucket created must be the one the apps use"

    key, secret = app_storage("S3_ACCESS_KEY_ID"), app_storage("S3_SECRET_ACCESS_KEY")
    [user_add] = calls_to(calls, "admin", "user", "add")
    assert user_add.argv[3:5] == [alias, key], user_add.argv
    assert (user_add.argv[5:] or user_add.stdin.splitlines()[:1]) == [secret], \
        "the app user's secret must be the apps' S3_SECRET_ACCESS_KEY"

    [attach] = calls_to(calls, "admin", "policy", "attach")
    argv = attach.argv
    assert argv[3] == alias and "--user" in argv and argv[argv.index("--user") + 1] == key, argv
    policy = argv[4]
    assert policy == "readwrite" or any(c.argv[3:5] == [alias, policy]
                                        for c in calls_to(calls, "admin", "policy", "create")), \
        f"the app user needs read and write access, got policy {policy}"
    order = [calls.index(c) for c in (alias_set, make_bucket, user_add, attach)]
    assert order == sorted(order), [c.argv[:3] for c in calls]


def test_minio_init_passes_secrets_on_stdin(tmp_path: Path) -> None:
    _returncode, calls = run_init(tmp_path)
    env = init_env()
    secrets = {env["MINIO_ROOT_PASSWORD"], env["S3_SECRET_ACCESS_KEY"]}
    assert calls
    for call in calls:
        leaked = sorted(s for s in secrets if any(s in arg for arg in call.argv))
        assert not leaked, f"mc {' '.join(call.argv[:3])}: a secret in argv shows in `ps`"


@pytest.mark.parametrize("failing", ["alias", "mb", "add", "attach"])
def test_minio_init_fails_when_a_step_fails(tmp_path: Path, failing: str) -> None:
    returncode, calls = run_init(tmp_path, MC_FAIL=failing)
    assert returncode != 0, f"mc {failing} failed but minio-init exited 0: apps would start"
    assert calls and failing in calls[-1].argv, \
        f"minio-init went on after `mc {failing}` failed: {[c.argv[:3] for c in calls]}"


def test_app_credentials_are_not_the_root_credentials(tmp_path: Path) -> None:
    services = base_services()
    root = {v for k, v in env_of(services["minio"]).items() if k.startswith("MINIO_ROOT_")}
    assert len(root) == 2, root
    for name in BUILT:
        env = env_of(services[name])
        assert not [k for k, v in env.items() if "MINIO_ROOT_" in k + v], \
            f"{name}: the apps must not see MinIO's root credentials"
        for key in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
            assert env.get(key) not in root, f"{name}: {key} is a root credential"
    # The same value in both variables is refused before anything is changed.
    returncode, calls = run_init(tmp_path, S3_ACCESS_KEY_ID=init_env()["MINIO_ROOT_USER"])
    assert returncode != 0, "minio-init accepted the root user as the app user"
    assert not calls_to(calls, "admin"), "the root user must not be turned into the app user"


def test_dev_override_publishes_the_s3_api_on_localhost() -> None:
    minio = load(DEV_FILE)["services"].get("minio") or {}
    assert container_ports(minio) == {minio_api_port()}, minio
    for port in minio["ports"]:
        assert str(port).startswith("127.0.0.1:"), port


# =========================================================================== tests: metrics

PROMETHEUS_CONFIG = "./deploy/prometheus/prometheus.yml"
WORKERS = ("worker-pdf", "worker-ocr", "worker-color", "worker-crawl")


def metrics_port(service: dict[str, Any]) -> int | None:
    """Where a service serves /metrics: a worker's METRICS_PORT, an API's --port."""
    env = env_of(service)
    if "METRICS_PORT" in env:
        return int(env["METRICS_PORT"])
    argv = argv_of(service) if "command" in service else []
    return int(argv[argv.index("--port") + 1]) if "--port" in argv else None


def scrape_targets() -> list[tuple[str, int]]:
    """(host, port) of every static target and every DNS-discovered service."""
    config = yaml.safe_load((REPO / PROMETHEUS_CONFIG).read_text())
    targets = []
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics", job["job_name"]
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                targets.append((host, int(port)))
        for dns in job.get("dns_sd_configs", []):
            assert dns.get("type", "SRV") == "A", "compose's DNS answers A records"
            targets += [(name, int(dns["port"])) for name in dns["names"]]
    return targets


def exposed_samples() -> dict[str, set[str]]:
    """Each metric family Conveyor defines -> the sample names Prometheus stores for it."""
    from prometheus_client.metrics import MetricWrapperBase

    from services.gateway.metrics import REGISTRY as gateway_registry
    from services.jobs.metrics.collector import DatabaseCollector
    from shared import worker_metrics

    worker = [m for m in vars(worker_metrics).values() if isinstance(m, MetricWrapperBase)]
    families = [*gateway_registry.collect(), *DatabaseCollector().collect(),
                *(f for metric in worker for f in metric.collect())]
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}
    return {f.name: {f.name + suffix for suffix in suffixes[f.type]} for f in families}


def grafana_mounts() -> dict[str, Path]:
    return {target: REPO / source for target, source in
            mounts_at(base_services()["grafana"]).items() if source.startswith("./")}


def test_prometheus_runs_with_the_repository_config() -> None:
    prometheus = base_services()["prometheus"]
    argv = argv_of(prometheus)
    [config] = [a.split("=", 1)[1] for a in argv if a.startswith("--config.file=")]
    assert mounts_at(prometheus).get(config) == PROMETHEUS_CONFIG
    assert (REPO / PROMETHEUS_CONFIG).is_file()
    assert container_ports(prometheus) == {9090}
    assert "${PROMETHEUS_HOST:-127.0.0.1}" in prometheus["ports"][0], "no auth: localhost only"
    assert "/-/ready" in " ".join(prometheus["healthcheck"]["test"])


def test_prometheus_scrapes_every_metrics_endpoint() -> None:
    services = base_services()
    targets = scrape_targets()
    for host, port in targets:
        assert host in services, f"scrape target {host} is not a compose service"
        assert metrics_port(services[host]) == port, f"{host} serves metrics elsewhere"
    assert {host for host, _ in targets} == {"gateway", "jobs", *WORKERS}


@pytest.mark.parametrize("name", WORKERS)
def test_workers_serve_metrics_from_all_pool_processes(name: str) -> None:
    worker = base_services()[name]
    env = env_of(worker)
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/"), "the prefork pool needs it"
    assert str(metrics_port(worker)) in [str(p) for p in worker.get("expose", [])]
    assert not worker.get("ports"), "published ports prevent --scale"


def test_grafana_provisions_the_prometheus_datasource() -> None:
    grafana = base_services()["grafana"]
    assert env_of(grafana)["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_PASSWORD:?")
    assert "${GRAFANA_HOST:-127.0.0.1}" in grafana["ports"][0]
    assert depends_on(grafana).get("prometheus") == "service_healthy"
    provisioning = grafana_mounts()["/etc/grafana/provisioning"]
    [datasource] = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"]
    port = container_ports(base_services()["prometheus"]).pop()
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == f"http://prometheus:{port}"


def test_grafana_dashboard_is_provisioned_and_queries_real_metrics() -> None:
    provisioning = grafana_mounts()["/etc/grafana/provisioning"]
    [provider] = yaml.safe_load((provisioning / "dashboards/conveyor.yml").read_text())[
        "providers"]
    dashboards = grafana_mounts()[provider["options"]["path"]]
    datasource_uid = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())[
        "datasources"][0]["uid"]
    dashboard = json.loads((dashboards / "conveyor.json").read_text())
    exposed = exposed_samples()
    assert all(name.startswith("conveyor_") for name in exposed), sorted(exposed)
    known = set().union(*exposed.values())
    queried: set[str] = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == datasource_uid, panel["title"]
            names = set(re.findall(r"\bconveyor_\w+", target["expr"]))
            assert names and names <= known, f"{panel['title']}: {sorted(names - known)}"
            queried |= names
    unshown = sorted(f for f, samples in exposed.items() if not samples & queried)
    assert not unshown, f"no panel shows {unshown}"


# =========================================================================== tests: settings

@pytest.mark.parametrize("name", BUILT)
def test_environment_variables_are_known_settings(name: str) -> None:
    svc = base_services()[name]
    env = env_of(svc)
    cls = settings_class_for(argv_of(svc))
    fields = {f.upper() for f in cls.model_fields}
    unknown = sorted(set(env) - fields - NON_SETTINGS_ENV)
    assert not unknown, f"{name}: {unknown} are not fields of {cls.__name__} (typo?)"
    values = {k.lower(): interpolate(v) for k, v in env.items() if k in fields}
    check_values(cls, values, name)


def test_must_set_covers_every_unsafe_default() -> None:
    assert {"SECRET_KEY", "SERVICE_TOKEN", "DATABASE_URL", "REDIS_URL"} <= unsafe_default_fields()
    assert unsafe_default_fields() <= MUST_SET


@pytest.mark.parametrize("name", BUILT)
def test_production_settings_are_set(name: str) -> None:
    env = env_of(base_services()[name])
    missing = sorted(name_ for name_ in MUST_SET if not env.get(name_))
    assert not missing, f"{name}: {missing} must be set"
    assert env["ENVIRONMENT"] == "production", name
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://"), name
    assert "@postgres:5432/" in env["DATABASE_URL"], name
    assert env["REDIS_URL"].startswith("redis://redis:6379/"), name
    for secret in REQUIRED_SECRETS:
        assert env[secret].startswith(f"${{{secret}:?"), \
            f"{name}: {secret} must be required from the environment: ${{{secret}:?...}}"
    assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]


def test_env_example_lists_every_variable_compose_reads() -> None:
    text = ENV_EXAMPLE.read_text()
    keys = {line.split("=", 1)[0].strip() for line in text.splitlines()
            if "=" in line and not line.lstrip().startswith("#")}
    for path in (BASE_FILE, DEV_FILE):
        referenced = {m.group(1) for text in strings_in(load(path))
                      for m in _INTERPOLATION.finditer(text)}
        missing = sorted(referenced - keys)
        assert not missing, f".env.example lacks {missing} used in {path.name}"


def test_dockerignore_keeps_the_context_small() -> None:
    lines = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".venv", "var", "tests", "bench", ".git", ".env"} <= lines
    assert "__pycache__" in lines or "**/__pycache__" in lines


# =========================================================================== tests: dev file

def test_dev_override_matches_the_base_file() -> None:
    base = base_services()
    dev = load(DEV_FILE)["services"]
    unknown = sorted(set(dev) - set(base))
    assert not unknown, f"docker-compose.dev.yaml overrides unknown services {unknown}"
    for name, override in dev.items():
        assert "build" not in override or name in BUILT, name
        merged_env = env_of(base[name]) | env_of(override)
        if name in BUILT:
            assert merged_env.get("ENVIRONMENT") == "development", name
            argv = argv_of(override) if "command" in override else argv_of(base[name])
            cls = settings_class_for(argv)
            fields = {f.upper() for f in cls.model_fields}
            unknown_env = sorted(set(merged_env) - fields - NON_SETTINGS_ENV)
            assert not unknown_env, f"dev {name}: {unknown_env} are not settings"
            values = {k.lower(): interpolate(v) for k, v in merged_env.items() if k in fields}
            check_values(cls, values, f"dev {name}")
        for source in mounts_at(override).values():
            if source.startswith("."):
                assert (DEV_FILE.parent / source).exists(), f"dev {name}: {source} missing"


def test_dev_override_reloads_the_apis() -> None:
    dev = load(DEV_FILE)["services"]
    for name in ("gateway", "jobs"):
        argv = argv_of(dev[name])
        assert "--reload" in argv, name
        assert entry_of(argv) == entry_of(argv_of(base_services()[name])), name
        assert any(t.startswith("./") and c == "/app/services"
                   for c, t in mounts_at(dev[name]).items()), f"{name}: source not mounted"
    assert container_ports(dev["postgres"]) == {5432}
    assert container_ports(dev["redis"]) == {6379}
