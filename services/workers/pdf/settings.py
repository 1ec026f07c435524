"""PDF worker knobs: the optional LLM rewrite provider."""

from functools import lru_cache
from typing import Literal

from pydantic import SecretStr

from shared.settings import Settings


class PdfWorkerSettings(Settings):
    llm_provider: Literal["none", "openai", "gemini"] = "none"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 30.0
    llm_batch_size: int = 40


@lru_cache
def get_pdf_settings() -> PdfWorkerSettings:
    return PdfWorkerSettings()
