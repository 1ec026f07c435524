"""The naive floor for `POST /api/v1/jobs/confirm`: one bare FastAPI process that does the
same essential work in the plainest way, and nothing else.

    upload (multipart `pdf_file`) -> save to disk -> count pages with pypdf
    -> one INSERT (sync SQLAlchemy engine, pool like ours) -> one Celery send_task -> 201 {id}

No auth, no credits, no events, no second service. Run it exactly like the gateway:
`python -m uvicorn bench.naive_app:app --host 127.0.0.1 --port N --log-level warning`.

Environment: DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, DATA_DIR and NAIVE_QUEUE (a queue
nobody consumes; the benchmark purges it at the end).

With NAIVE_HOP_URL set (another naive process's `/naive/echo`), the endpoint also makes one
JSON call to that URL before the insert: the naive floor plus one bare service hop, to
measure what a gateway -> service split costs by itself on this machine.
"""

import hashlib
import os
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from celery import Celery
from fastapi import FastAPI, File, UploadFile
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from shared.db import POOL_SIZE

DATABASE_URL = os.environ["DATABASE_URL"]
QUEUE = os.environ.get("NAIVE_QUEUE", "naive-bench")
UPLOADS = Path(os.environ.get("DATA_DIR", "var")) / "naive-uploads"
HOP_URL = os.environ.get("NAIVE_HOP_URL")
# One client (one connection) per thread of the endpoint's pool: a single client shared by
# 40 threads spent its time in its own connection pool's locking at 50 clients.
_hop_clients = threading.local()


def _hop_client() -> httpx.Client:
    client = getattr(_hop_clients, "client", None)
    if client is None:
        client = _hop_clients.client = httpx.Client(timeout=30)
    return client

# As ours (shared.db): sized alike (a smaller pool, whose overflow connections closed when
# returned, made the floor open a new Postgres session for many requests at 50 clients),
# and no pre-ping, a round trip on every checkout that ours does not make.
engine = create_engine(DATABASE_URL, pool_size=POOL_SIZE, max_overflow=0)
celery = Celery("naive", broker=os.environ["REDIS_URL"])
celery.conf.update(
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_transport_options=(
        {"global_keyprefix": os.environ["REDIS_KEY_PREFIX"]}
        if os.environ.get("REDIS_KEY_PREFIX") else {}),
)

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS naive_job (
    id BIGSERIAL PRIMARY KEY,
    original_filename TEXT,
    input_path TEXT NOT NULL,
    input_sha256 CHAR(64) NOT NULL,
    page_count INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'pending',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    UPLOADS.mkdir(parents=True, exist_ok=True)
    with engine.begin() as connection:
        connection.execute(text(CREATE_TABLE))
    yield
    engine.dispose()


app = FastAPI(title="naive floor", lifespan=lifespan)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/naive/confirm", status_code=201)
def confirm(pdf_file: Annotated[UploadFile, File()]) -> dict[str, int]:
    """Plain sync endpoint (FastAPI runs it in its threadpool)."""
    path = UPLOADS / f"{uuid.uuid4().hex}.pdf"
    digest = hashlib.sha256()
    with path.open("wb") as out:
        while block := pdf_file.file.read(1024 * 1024):
            digest.update(block)
            out.write(block)
    page_count = len(PdfReader(path, strict=False).pages)
    if HOP_URL:
        _hop_client().post(HOP_URL, json={"page_count": page_count}).raise_for_status()
    with engine.begin() as connection:
        job_id = connection.execute(
            text("INSERT INTO naive_job (original_filename, input_path, input_sha256, page_count)"
                 " VALUES (:name, :path, :sha, :pages) RETURNING id"),
            {"name": pdf_file.filename, "path": str(path), "sha": digest.hexdigest(),
             "pages": page_count}).scalar_one()
    celery.send_task("naive.process", kwargs={"job_id": job_id}, queue=QUEUE)
    return {"job_id": job_id, "page_count": page_count}


@app.post("/naive/echo")
async def echo(body: dict[str, Any]) -> dict[str, Any]:
    """The far end of the optional hop: parse a JSON body, answer it."""
    return body
