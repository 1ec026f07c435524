"""PDF routes of seed 001: confirm (create + reserve), async processing, sync processing."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.gateway.deps import JobsDep, SettingsDep, UserIdDep
from services.gateway.jobs.presenters import status_document
from services.gateway.openapi import AUTHENTICATED, errors
from services.gateway.pdf import service
from services.gateway.pdf.schemas import AsyncStartOut, ConfirmOut, OcrChoice, PdfOptions
from services.gateway.ratelimit import limiter
from services.gateway.settings import get_gateway_settings
from shared.errors import ConveyorError, ErrorCode
from shared.jobs.models import JobStatus

router = APIRouter(prefix="/api/v1", tags=["pdf"], responses=errors(*AUTHENTICATED))
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]
OcrForm = Annotated[OcrChoice, Form(description="auto (default): OCR the scanned pages; "
                                     "always: OCR every page; never: the text layer only")]


def _options(sentence_length_limit: int | None, gemini_model: str | None,
             ignore_dialogue: bool, preserve_formatting: bool, fix_hyphenation: bool,
             min_sentence_length: int | None, ocr: OcrChoice) -> PdfOptions:
    try:
        return PdfOptions.model_validate({
            "sentence_length_limit": sentence_length_limit, "gemini_model": gemini_model or None,
            "ignore_dialogue": ignore_dialogue, "preserve_formatting": preserve_formatting,
            "fix_hyphenation": fix_hyphenation, "min_sentence_length": min_sentence_length,
            "ocr": ocr})
    except ValidationError as exc:  # rendered like FastAPI's own form validation (422)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from exc


@router.post("/jobs/confirm", status_code=201)
async def confirm(user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
                  pdf_file: Annotated[UploadFile, File()],
                  idempotency_key: IdempotencyKey = None) -> ConfirmOut:
    """Upload a PDF, count its pages and reserve the estimated credits (402 when short)."""
    view = await service.create_pdf_job(jobs, user_id=user_id, upload=pdf_file,
                                        settings=settings, idempotency_key=idempotency_key)
    return service.confirm_out(view)


@router.post("/process-pdf-async", status_code=202)
@limiter.limit(get_gateway_settings().rate_limit_pdf_async)
async def process_pdf_async(
        request: Request, user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
        job_id: Annotated[int, Form()], pdf_file: Annotated[UploadFile, File()],
        sentence_length_limit: Annotated[int | None, Form()] = None,
        gemini_model: Annotated[str | None, Form()] = None,
        ignore_dialogue: Annotated[bool, Form()] = False,
        preserve_formatting: Annotated[bool, Form()] = False,
        fix_hyphenation: Annotated[bool, Form()] = True,
        min_sentence_length: Annotated[int | None, Form()] = None,
        ocr: OcrForm = "auto") -> AsyncStartOut:
    """Start processing a confirmed PDF job in the background; poll GET /api/v1/jobs/{id}.
    `ocr`: auto (scanned pages are read by OCR), always or never."""
    options = _options(sentence_length_limit, gemini_model, ignore_dialogue,
                       preserve_formatting, fix_hyphenation, min_sentence_length, ocr)
    view = await service.start_pdf_job(jobs, user_id=user_id, job_id=job_id, upload=pdf_file,
                                       options=options, settings=settings)
    assert view.celery_task_id is not None  # a started job has it
    return AsyncStartOut(job_id=view.id, task_id=view.celery_task_id, status="pending",
                         message="PDF processing started")


@router.post("/process-pdf")
async def process_pdf(
        user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
        pdf_file: Annotated[UploadFile, File()],
        sentence_length_limit: Annotated[int | None, Form()] = None,
        gemini_model: Annotated[str | None, Form()] = None,
        ignore_dialogue: Annotated[bool, Form()] = False,
        preserve_formatting: Annotated[bool, Form()] = False,
        fix_hyphenation: Annotated[bool, Form()] = True,
        min_sentence_length: Annotated[int | None, Form()] = None,
        ocr: OcrForm = "auto",
        idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """Process a small PDF (at most 30 pages) and answer with its sentences; `ocr` as for
    process-pdf-async."""
    options = _options(sentence_length_limit, gemini_model, ignore_dialogue,
                       preserve_formatting, fix_hyphenation, min_sentence_length, ocr)
    view = await service.create_pdf_job(jobs, user_id=user_id, upload=pdf_file,
                                         settings=settings, idempotency_key=idempotency_key,
                                         max_pages=settings.sync_pdf_max_pages)
    job_id = view.id
    if view.status == JobStatus.PENDING:
        await jobs.start(user_id, job_id, params=options.model_dump(exclude_none=True))
    view = await jobs.wait_until_finished(user_id, job_id,
                                          timeout=settings.sync_pdf_wait_seconds,
                                          follow_url=f"/api/v1/jobs/{job_id}")
    if view.status != JobStatus.COMPLETED:
        raise ConveyorError(ErrorCode.PROCESSING_FAILED, view.error or "processing failed",
                            job_id=job_id, job_error_type=view.error_type)
    view = await jobs.finalize(user_id, job_id)
    result = await jobs.result(user_id, job_id)
    return {**status_document(view), "job_id": job_id, "sentences": result.items,
            "sentence_count": len(result.items)}
