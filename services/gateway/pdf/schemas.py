from typing import Literal

from pydantic import BaseModel, Field


class PdfOptions(BaseModel):
    """Seed 001's processing options."""

    sentence_length_limit: int | None = Field(default=None, ge=20, le=5000)
    gemini_model: Literal["balanced", "quality", "speed"] | None = None
    ignore_dialogue: bool = False
    preserve_formatting: bool = False
    fix_hyphenation: bool = True
    min_sentence_length: int | None = Field(default=None, ge=0, le=1000)


class ConfirmOut(BaseModel):
    job_id: int
    status: str
    page_count: int
    estimated_credits: int


class AsyncStartOut(BaseModel):
    job_id: int
    task_id: str
    status: str
    message: str
