"""All SQL on colour images (uploads and transfer results)."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.color.models import ColorImage


def add_image(session: Session, image: ColorImage) -> ColorImage:
    session.add(image)
    session.flush()
    return image


def owned_image(session: Session, *, public_id: str, user_id: int) -> ColorImage | None:
    return session.scalars(select(ColorImage).where(
        ColorImage.public_id == public_id, ColorImage.user_id == user_id)).one_or_none()


def result_of_job(session: Session, job_id: int) -> ColorImage | None:
    return session.scalars(select(ColorImage).where(ColorImage.job_id == job_id)
                           .order_by(ColorImage.id.desc()).limit(1)).one_or_none()


def expired_images(session: Session, *, now: datetime, limit: int = 1000) -> list[ColorImage]:
    """Images past their expiry whose files are still on disk, oldest first."""
    return list(session.scalars(
        select(ColorImage).where(ColorImage.expires_at <= now, ColorImage.removed_at.is_(None))
        .order_by(ColorImage.expires_at).limit(limit)))


def mark_removed(session: Session, *, image_ids: list[int], at: datetime) -> None:
    if image_ids:
        session.execute(update(ColorImage).where(ColorImage.id.in_(image_ids))
                        .values(removed_at=at))
