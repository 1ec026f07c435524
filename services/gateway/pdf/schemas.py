from typing import Literal

from pydantic import BaseModel, Field

# auto: OCR the pages without a usable text layer (scans); always: every page; never: the
# text layer only (scanned pages come back empty, and the result says which they are).
OcrChoice = Literal["auto", "always", "never"]


class PdfOptions(BaseModel):
    """Seed 001's processing options."""

    sentence_length_limit: int | None = Field(default=None, ge=20, le=5000)
    gemini_model: Literal["balanced", "quality", "speed"] | None = None
    ignore_dialogue: bool = False
    preserve_formatting: bool = False
    fix_hyphenation: bool = True
    min_sentence_length: int | None = Field(default=None, ge=0, le=1000)
    ocr: OcrChoice = "auto"


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
