"""PDF routes of seed 001: confirm (create + reserve), async processing, sync processing."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from services.gateway.deps import MAX_ROW_ID, JobsDep, SettingsDep, UserIdDep
from services.gateway.idempotency import IdempotencyKey
from services.gateway.jobs.presenters import pdf_status_document
from services.gateway.openapi import AUTHENTICATED, errors, links, upload_example
from services.gateway.pdf import service
from services.gateway.pdf.schemas import (
    AsyncStartOut,
    ConfirmOut,
    OcrChoice,
    PdfOptions,
    PdfProcessed,
    TextEngineChoice,
)
from services.gateway.ratelimit import limited
from services.gateway.settings import GatewaySettings, get_gateway_settings
from services.gateway.webhooks.schemas import CallbackUrlForm
from services.gateway.webhooks.service import callback_for
from shared.errors import ConveyorError, ErrorCode, size_in_words
from shared.jobs.models import JobStatus

router = APIRouter(prefix="/api/v1", tags=["pdf"], responses=errors(*AUTHENTICATED))
PdfFile = Annotated[UploadFile, File(
    description=f"the PDF, at most {size_in_words(get_gateway_settings().max_pdf_bytes)}")]
# Seed 001's processing options, as form fields.
SentenceLengthLimit = Annotated[int | None, Form(examples=[300])]
GeminiModel = Annotated[str | None, Form(
    examples=["balanced"], description="balanced (default), quality or speed")]
IgnoreDialogue = Annotated[bool, Form(examples=[False])]
PreserveFormatting = Annotated[bool, Form(examples=[False])]
FixHyphenation = Annotated[bool, Form(examples=[True])]
MinSentenceLength = Annotated[int | None, Form(examples=[3])]
OcrForm = Annotated[OcrChoice, Form(examples=["auto"],
                                     description="auto (default): OCR the scanned pages; "
                                     "always: OCR every page; never: the text layer only")]
TextEngineForm = Annotated[TextEngineChoice | None, Form(
    examples=["pdfium"], description="what reads the text layers: pypdf or pdfium (faster); "
    "left out: the server's PDF_TEXT_ENGINE (pypdf unless configured)")]
# What an upload can be refused for: 400 empty, damaged, password-protected or too many
# pages; 413 too large; 415 not a PDF. 402 when the credits are short, 409 for an
# Idempotency-Key used with another file.
_UPLOAD_ERRORS = (400, 402, 409, 413, 415)


def _options(settings: GatewaySettings, *, sentence_length_limit: int | None,
             gemini_model: str | None, ignore_dialogue: bool, preserve_formatting: bool,
             fix_hyphenation: bool, min_sentence_length: int | None, ocr: OcrChoice,
             text_engine: TextEngineChoice | None) -> PdfOptions:
    """The job's parameters from the form's options; no text engine named: the server's."""
    try:
        return PdfOptions.model_validate({
            "sentence_length_limit": sentence_length_limit, "gemini_model": gemini_model or None,
            "ignore_dialogue": ignore_dialogue, "preserve_formatting": preserve_formatting,
            "fix_hyphenation": fix_hyphenation, "min_sentence_length": min_sentence_length,
            "ocr": ocr, "text_engine": text_engine or settings.pdf_text_engine})
    except ValidationError as exc:  # rendered like FastAPI's own form validation (422)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from exc


@router.post("/jobs/confirm", status_code=201, response_model_exclude_none=True, responses={
    **errors(*_UPLOAD_ERRORS), **links(201, "job_id", "job_id", {
        "GetJob": ("get", "/api/v1/jobs/{job_id}"),
        "CancelJob": ("post", "/api/v1/jobs/{job_id}/cancel")})},
             openapi_extra=upload_example(pdf_file="novel.pdf"))
async def confirm(user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
                  pdf_file: PdfFile, idempotency_key: IdempotencyKey = None,
                  callback_url: CallbackUrlForm = None) -> ConfirmOut:
    """Upload a PDF, count its pages and reserve the estimated credits (402 when short).
    `callback_url`: the job's events are sent there, signed (see /api/v1/webhooks)."""
    endpoint_id, secret = await callback_for(user_id, callback_url)
    view = await service.create_pdf_job(jobs, user_id=user_id, upload=pdf_file,
                                        settings=settings, idempotency_key=idempotency_key,
                                        webhook_endpoint_id=endpoint_id)
    return service.confirm_out(view, callback_secret=secret)


# 400: not a PDF job, or not pending; 404: not the caller's job; 409: not the file
# confirmed for it; 413: larger than the limit.
@router.post("/process-pdf-async", status_code=202,
             responses=errors(400, 404, 409, 413, 429),
             openapi_extra=upload_example(job_id=123, pdf_file="novel.pdf",
                                          ignore_dialogue=False, fix_hyphenation=True,
                                          ocr="auto", text_engine="pypdf"))
@limited("rate_limit_pdf_async")
async def process_pdf_async(
        request: Request, user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep,
        job_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID, examples=[123],
                                    description="from POST /api/v1/jobs/confirm")],
        pdf_file: PdfFile,
        sentence_length_limit: SentenceLengthLimit = None, gemini_model: GeminiModel = None,
        ignore_dialogue: IgnoreDialogue = False,
        preserve_formatting: PreserveFormatting = False,
        fix_hyphenation: FixHyphenation = True, min_sentence_length: MinSentenceLength = None,
        ocr: OcrForm = "auto", text_engine: TextEngineForm = None) -> AsyncStartOut:
    """Start processing a confirmed PDF job in the background, with the file it was
    confirmed with; poll GET /api/v1/jobs/{id}. `ocr`: auto (scanned pages are read by
    OCR), always or never. `text_engine`: pypdf or pdfium reads the text layers."""
    options = _options(settings, sentence_length_limit=sentence_length_limit,
                       gemini_model=gemini_model, ignore_dialogue=ignore_dialogue,
                       preserve_formatting=preserve_formatting,
                       fix_hyphenation=fix_hyphenation,
                       min_sentence_length=min_sentence_length, ocr=ocr,
                       text_engine=text_engine)
    view = await service.start_pdf_job(jobs, user_id=user_id, job_id=job_id, upload=pdf_file,
                                       options=options, settings=settings)
    assert view.celery_task_id is not None  # a started job has it
    return AsyncStartOut(job_id=view.id, task_id=view.celery_task_id, status="pending",
                         message="PDF processing started")


# 422 also when the job fails (PROCESSING_FAILED); 504 when it outlasts the wait, with
# the job's `status_url` to follow.
@router.post("/process-pdf", responses=errors(*_UPLOAD_ERRORS, 504),
             openapi_extra=upload_example(pdf_file="letter.pdf", gemini_model="balanced",
                                          ocr="auto", text_engine="pdfium"))
async def process_pdf(
        user_id: UserIdDep, jobs: JobsDep, settings: SettingsDep, pdf_file: PdfFile,
        sentence_length_limit: SentenceLengthLimit = None, gemini_model: GeminiModel = None,
        ignore_dialogue: IgnoreDialogue = False,
        preserve_formatting: PreserveFormatting = False,
        fix_hyphenation: FixHyphenation = True, min_sentence_length: MinSentenceLength = None,
        ocr: OcrForm = "auto", text_engine: TextEngineForm = None,
        idempotency_key: IdempotencyKey = None) -> PdfProcessed:
    """Process a small PDF (at most SYNC_PDF_MAX_PAGES, 30 by default) and answer with its
    sentences, the job finalized; `ocr` and `text_engine` as for process-pdf-async. 400
    past the page limit, 422 when processing fails, 504 (with the job's `status_url`)
    when it takes longer than the wait."""
    options = _options(settings, sentence_length_limit=sentence_length_limit,
                       gemini_model=gemini_model, ignore_dialogue=ignore_dialogue,
                       preserve_formatting=preserve_formatting,
                       fix_hyphenation=fix_hyphenation,
                       min_sentence_length=min_sentence_length, ocr=ocr,
                       text_engine=text_engine)
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
    return PdfProcessed(**dict(pdf_status_document(view)), job_id=job_id,
                        sentences=result.items, sentence_count=len(result.items))
