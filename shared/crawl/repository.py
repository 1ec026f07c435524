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
