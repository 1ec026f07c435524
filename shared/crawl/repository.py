"""All SQL on crawl images."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.crawl.models import CrawlImage


def add_unless_duplicate(session: Session, image: CrawlImage) -> bool:
    """Insert `image`; False (nothing written) when the job already holds these bytes."""
    if session.scalar(select(CrawlImage.id).where(CrawlImage.job_id == image.job_id,
                                                  CrawlImage.sha256 == image.sha256)):
        return False
    try:
        with session.begin_nested():  # another chunk may insert the same bytes meanwhile
            session.add(image)
    except IntegrityError:
        return False
    return True


def count_of_job(session: Session, job_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CrawlImage)
                          .where(CrawlImage.job_id == job_id)) or 0


def count_of_chunk(session: Session, *, job_id: int, chunk_index: int) -> int:
    return session.scalar(select(func.count()).select_from(CrawlImage)
                          .where(CrawlImage.job_id == job_id,
                                 CrawlImage.chunk_index == chunk_index)) or 0


def images_of_job(session: Session, *, job_id: int, verdict: str | None = None,
                  keyword: str | None = None, engine: str | None = None,
                  limit: int = 100, offset: int = 0) -> tuple[list[CrawlImage], int]:
    query = select(CrawlImage).where(CrawlImage.job_id == job_id)
    if verdict == "unvalidated":
        query = query.where(CrawlImage.verdict.is_(None))
    elif verdict:
        query = query.where(CrawlImage.verdict == verdict)
    if keyword:
        query = query.where(CrawlImage.keyword == keyword)
    if engine:
        query = query.where(CrawlImage.engine == engine)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(CrawlImage.id).limit(limit).offset(offset))
    return list(rows), total


def image_ids_of_job(session: Session, job_id: int) -> list[int]:
    return list(session.scalars(select(CrawlImage.id).where(CrawlImage.job_id == job_id)
                                .order_by(CrawlImage.id)))


def images_by_ids(session: Session, *, job_id: int, ids: list[int]) -> list[CrawlImage]:
    return list(session.scalars(select(CrawlImage).where(CrawlImage.job_id == job_id,
                                                         CrawlImage.id.in_(ids))
                                .order_by(CrawlImage.id)))


def perceptual_hashes_of_job(session: Session, job_id: int) -> list[tuple[int, str]]:
    rows = session.execute(select(CrawlImage.id, CrawlImage.perceptual_hash)
                           .where(CrawlImage.job_id == job_id,
                                  CrawlImage.perceptual_hash.is_not(None))
                           .order_by(CrawlImage.id))
    return [(image_id, value) for image_id, value in rows if value is not None]


def verdict_counts(session: Session, job_id: int) -> dict[str, int]:
    """How many of the job's images are valid, invalid and not validated yet."""
    rows = session.execute(select(CrawlImage.verdict, func.count())
                           .where(CrawlImage.job_id == job_id).group_by(CrawlImage.verdict))
    counts = {"valid": 0, "invalid": 0, "unvalidated": 0}
    for verdict, count in rows:
        counts[verdict or "unvalidated"] += count
    return counts
