"""A PDF job's parameters (seed 001's options) and what its chunks report about their
pages: the gateway writes the one and reads the other, the PDF worker the reverse."""

from typing import Literal

from pydantic import BaseModel, Field

# auto: OCR the pages without a usable text layer (scans); always: every page; never: the
# text layer only (scanned pages come back empty, and the result says which they are).
OcrChoice = Literal["auto", "always", "never"]
# What reads the text layers: pypdf (the design's choice) or PDFium (pypdfium2, about ten
# times faster on books). Both feed the same cleanup and segmentation.
TextEngineChoice = Literal["pypdf", "pdfium"]


class PdfOptions(BaseModel):
    """Seed 001's processing options, kept as the job's parameters."""

    sentence_length_limit: int | None = Field(default=None, ge=20, le=5000)
    gemini_model: Literal["balanced", "quality", "speed"] | None = None
    ignore_dialogue: bool = False
    preserve_formatting: bool = False
    fix_hyphenation: bool = True
    min_sentence_length: int | None = Field(default=None, ge=0, le=1000)
    ocr: OcrChoice = "auto"
    # The gateway always sets it (PDF_TEXT_ENGINE when the form leaves it out); jobs
    # started before the option existed were read by pypdf.
    text_engine: TextEngineChoice = "pypdf"


class OcrPageNote(BaseModel):
    page: int  # 1-based
    mean_confidence: float
    word_count: int
    turned_degrees: int | None = None  # None: read before the turn was recorded


class PageNotes(BaseModel):
    """Chunk metrics of the PDF worker; the job's are its chunks' lists, concatenated in
    page order (`lifecycle.summarise_chunks`)."""

    ocr_pages: list[OcrPageNote] = Field(default_factory=list)
    empty_pages: list[int] = Field(default_factory=list)
    # Scans left unread because the job asked for ocr=never.
    unread_scanned_pages: list[int] = Field(default_factory=list)


class GeminiUsage(BaseModel):
    """Chunk metrics of the optional LLM rewrite, summed over the job's chunks."""

    gemini_api_calls: int = 0
    gemini_tokens_used: int = 0
