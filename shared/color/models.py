"""Colour images (seed 000): uploads and transfer results, each under a public id.

The public id (`20251106_120000_a1b2c3d4`: UTC time of creation and 8 random hex digits)
is what the seed calls an upload's `job_id` and a result's `result_job_id`; download
filenames are built from it. Files live 24 hours; the hourly cleanup deletes them and
stamps `removed_at`, so a late request can be told why the file is gone.
"""

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import Base, JsonDoc, utcnow


class ColorImageRole(enum.StrEnum):
    UPLOAD = "upload"
    RESULT = "result"


def new_public_id(moment: datetime) -> str:
    return f"{moment:%Y%m%d_%H%M%S}_{secrets.token_hex(4)}"


class ColorImage(Base):
    __tablename__ = "color_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # ColorImageRole
    original_filename: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))  # relative to DATA_DIR
    preview_path: Mapped[str | None] = mapped_column(String(500))  # results: before/after
    # Uploads a transfer processes at full size: their decoded pixels (shared.color.pixels).
    pixels_path: Mapped[str | None] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    # Uploads: [{ral_code, name, hex, share, delta_e}] of a thumbnail's pixels.
    dominant_colors: Mapped[list[Any] | None] = mapped_column(JsonDoc)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("color_image.id"))  # results
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    removed_at: Mapped[datetime | None]
