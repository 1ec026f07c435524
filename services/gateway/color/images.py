"""Colour images (seed 000): upload with dominant colours, transfer jobs, task status,
downloads. The transfer itself runs in the colour worker; this only checks, queues, reads.

An upload id (`20251106_120000_a1b2c3d4`) names the caller's image; a task id is the job's
public uuid; a download filename is a result id plus `.png` (the result) or
`_preview.jpg` (before/after). Anything not the caller's is 404.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from services.gateway.color.schemas import (
    DominantColourOut,
    SyncTransferOut,
    TaskStatusOut,
    TransferIn,
    TransferResult,
    UploadOut,
)
from services.gateway.idempotency import request_fingerprint
from services.gateway.jobs_client import JobsClient
from services.gateway.settings import GatewaySettings
from services.gateway.uploads import publish, store_image
from shared import storage
from shared.color import pixels, steps
from shared.color import repository as repo
from shared.color.dominant import THUMBNAIL_SIDE, dominant_colours
from shared.color.models import ColorImage, ColorImageRole, new_public_id
from shared.color.palette import ral_classic
from shared.db import in_transaction_thread, utcnow
from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import load_image, load_image_and_thumbnail
from shared.images import ImageInfo
from shared.jobs.contract import CreateJob, JobView
from shared.jobs.models import JobKind, JobStatus
from shared.jobs.states import TERMINAL, Vocabulary, public_status
from shared.settings import get_settings

UPLOAD_AREA = "color"
_DOWNLOAD_NAME = re.compile(r"^(\d{8}_\d{6}_[0-9a-f]{8})(_preview\.jpg|\.png)$")


# --- upload -------------------------------------------------------------------------------

async def upload_image(*, user_id: int, upload: UploadFile, settings: GatewaySettings
                       ) -> UploadOut:
    # Not decoded by store_image: _inspect_pixels decodes it whole anyway.
    stored, info = await store_image(upload, max_bytes=settings.max_color_upload_bytes,
                                     max_pixels=settings.max_image_pixels, area=UPLOAD_AREA,
                                     decode=False)
    inspected: InspectedUpload | None = None
    try:
        inspected = await run_in_threadpool(_inspect_pixels, stored.path, info,
                                            settings.max_image_pixels)
        await publish(stored)
        image = await in_transaction_thread(
            _insert_upload, user_id=user_id, stored=stored, info=info, inspected=inspected,
            filename=(upload.filename or "")[:255] or None,
            retention_hours=settings.color_retention_hours)
    except BaseException:
        storage.discard(stored.relative_path)
        storage.discard(inspected.pixels_path if inspected else None)
        raise
    return UploadOut(job_id=image.public_id, filename=image.original_filename,
                     format=info.format, width=image.width, height=image.height,
                     size_bytes=stored.size, expires_at=image.expires_at,
                     dominant_colors=[DominantColourOut(**d) for d in inspected.dominant])


@dataclass(frozen=True, kw_only=True)
class InspectedUpload:
    dominant: list[dict[str, Any]]
    width: int  # upright: EXIF may turn the image
    height: int
    pixels_path: str | None  # its decoded pixels, kept for transfers (shared.color.pixels)


def _inspect_pixels(path: Path, info: ImageInfo, max_pixels: int) -> InspectedUpload:
    """Decode the upload (which also proves the whole file decodes: a truncated one is
    refused here) -> dominant colours from a thumbnail, the upright size, and for an image
    a transfer processes at full size, its pixels kept so that transfers skip the decode."""
    if pixels.fits(info.width, info.height):
        whole, thumbnail = load_image_and_thumbnail(path, max_pixels=max_pixels,
                                                    thumbnail_side=THUMBNAIL_SIDE)
        height, width = whole.shape[:2]
        pixels_path: str | None = pixels.save(UPLOAD_AREA, whole)
    else:
        thumbnail = load_image(path, max_pixels=max_pixels, color=True,
                               max_side=THUMBNAIL_SIDE)
        width, height, pixels_path = info.width, info.height, None
        thumb_height, thumb_width = thumbnail.shape[:2]
        if width != height and (thumb_width > thumb_height) != (width > height):
            width, height = height, width
    return InspectedUpload(dominant=[d.to_dict() for d in dominant_colours(thumbnail,
                                                                          ral_classic())],
                           width=width, height=height, pixels_path=pixels_path)


def _insert_upload(session: Session, *, user_id: int, stored: storage.StoredFile,
                   info: ImageInfo, inspected: InspectedUpload, filename: str | None,
                   retention_hours: float) -> ColorImage:
    now = utcnow()
    return repo.add_image(session, ColorImage(
        public_id=new_public_id(now), user_id=user_id, role=ColorImageRole.UPLOAD,
        original_filename=filename, path=stored.relative_path,
        pixels_path=inspected.pixels_path, media_type=info.mime_type, width=inspected.width,
        height=inspected.height, size_bytes=stored.size, dominant_colors=inspected.dominant,
        created_at=now, expires_at=now + timedelta(hours=retention_hours)))


# --- transfer jobs ------------------------------------------------------------------------

async def submit_transfer(jobs: JobsClient, *, user_id: int, body: TransferIn,
                          waited: bool, idempotency_key: str | None = None,
                          webhook_endpoint_id: int | None = None) -> JobView:
    """Create and start the job (reserving its credits); the worker does the rest.
    `waited`: for POST /process/reinhard, whose answer is the result (the same key on the
    other route is another request); `webhook_endpoint_id`: the endpoint of the request's
    callback_url, if any."""
    target = ral_classic().require(body.target_ral_code)
    upload, mask = await in_transaction_thread(_inputs, user_id=user_id, upload_id=body.job_id,
                                               mask_id=body.mask_job_id)
    params = {"upload_id": upload.public_id, "upload_pk": upload.id,
              "width": upload.width, "height": upload.height,
              "pixels_path": upload.pixels_path,
              "target_ral_code": target.code, "downsample": body.downsample,
              "strength": body.strength}
    if mask is not None:
        params.update(mask_path=mask.path, mask_job_id=mask.public_id,
                      mask_pixels_path=mask.pixels_path, mask_width=mask.width,
                      mask_height=mask.height)
    fingerprint = request_fingerprint(
        JobKind.COLOR_TRANSFER, waited=waited, upload_id=upload.public_id,
        mask_job_id=body.mask_job_id, target_ral_code=target.code,
        downsample=body.downsample, strength=body.strength,
        webhook_endpoint_id=webhook_endpoint_id)
    return await jobs.create(CreateJob(
        user_id=user_id, kind=JobKind.COLOR_TRANSFER, units=1, start=True,
        original_filename=upload.original_filename, input_path=upload.path,
        input_size=upload.size_bytes, params=params,
        idempotency_key=idempotency_key, request_fingerprint=fingerprint,
        webhook_endpoint_id=webhook_endpoint_id))


def _inputs(session: Session, *, user_id: int, upload_id: str, mask_id: str | None
            ) -> tuple[ColorImage, ColorImage | None]:
    upload = _usable_upload(session, user_id=user_id, public_id=upload_id, what="Upload")
    mask = (_usable_upload(session, user_id=user_id, public_id=mask_id, what="Mask upload")
            if mask_id else None)
    return upload, mask


def _usable_upload(session: Session, *, user_id: int, public_id: str, what: str
                   ) -> ColorImage:
    image = repo.owned_image(session, public_id=public_id, user_id=user_id)
    if image is None or image.role != ColorImageRole.UPLOAD:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"{what} {public_id} not found; upload the "
                            "image with POST /api/v1/upload and use the job_id it returns.")
    if image.removed_at is not None:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"{what} {public_id} was {_removed(image)}; "
                            "upload the image again.")
    return image


async def wait_for_transfer(jobs: JobsClient, *, user_id: int, view: JobView,
                            timeout: float) -> SyncTransferOut:
    """POST /process/reinhard: the job, waited on; its failure as a 4xx/5xx error."""
    task_id = view.uuid
    view = await jobs.wait_until_finished(user_id, view.id, timeout=timeout,
                                          follow_url=status_url(task_id), with_result=True)
    if view.status != JobStatus.COMPLETED:
        code = ErrorCode.__members__.get(view.error_type or "", ErrorCode.PROCESSING_FAILED)
        raise ConveyorError(code, view.error or "the colour transfer failed",
                            task_id=task_id)
    result = await _result(view)
    return SyncTransferOut(task_id=task_id, **result.model_dump())


def status_url(task_id: str) -> str:
    return f"/api/v1/task/{task_id}"


# --- task status --------------------------------------------------------------------------

async def task_status(jobs: JobsClient, *, user_id: int, task_id: str,
                      wait_seconds: float = 0.0) -> TaskStatusOut:
    """`wait_seconds`: answer as soon as the task has ended, or after that long."""
    view = await jobs.get_by_uuid(user_id, task_id, with_result=True)
    if view.kind != JobKind.COLOR_TRANSFER:
        raise ConveyorError(ErrorCode.NOT_FOUND, "Task not found")
    if wait_seconds > 0 and view.status not in TERMINAL:
        view = await jobs.view_once_ended(user_id, view.id, seconds=wait_seconds,
                                          with_result=True)
    state = public_status(view.status, Vocabulary.V1_COLOR)
    status = TaskStatusOut(task_id=view.uuid, state=state, progress=_progress(state, view),
                           status=_status_text(state, view))
    if state == "SUCCESS":
        status.result = await _result(view)
    elif state in ("FAILURE", "REVOKED"):
        status.error, status.error_type = view.error, view.error_type
    return status


def _progress(state: str, view: JobView) -> int | None:
    """The seed's table: 0 waiting, 10-90 running, 100 done, none after a failure."""
    if state == "SUCCESS":
        return 100
    return view.progress_percent if state in ("PENDING", "STARTED", "RETRY") else None


def _status_text(state: str, view: JobView) -> str:
    step = steps.STEPS.get(view.current_step or "")
    if state == "STARTED" and step is not None:
        return step.message
    if state == "FAILURE" and view.error:
        return view.error
    return steps.STATE_MESSAGES[state]


async def _result(view: JobView) -> TransferResult:
    items = view.result_items
    if not items:
        raise ConveyorError(ErrorCode.INTERNAL, "the finished task has no result")
    image = await in_transaction_thread(_result_image, job_id=view.id)
    return TransferResult(**items[0],
                          expires_at=image.expires_at if image else None,
                          files_removed_at=image.removed_at if image else None)


def _result_image(session: Session, *, job_id: int) -> ColorImage | None:
    return repo.result_of_job(session, job_id)


# --- downloads ----------------------------------------------------------------------------

def download(session: Session, *, user_id: int, filename: str) -> tuple[str, str]:
    """(stored key, media type) of one of the caller's downloads. The filename is only
    parsed, never joined to a path: the key comes from the caller's own row."""
    match = _DOWNLOAD_NAME.match(filename)
    image = (repo.owned_image(session, public_id=match.group(1), user_id=user_id)
             if match else None)
    if match is None or image is None or image.role != ColorImageRole.RESULT:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"File {filename!r} not found.")
    if image.removed_at is not None:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"File {filename!r} was {_removed(image)}; "
                            "run the transfer again.")
    preview = match.group(2) == "_preview.jpg"
    key = image.preview_path if preview else image.path
    if not key:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"File {filename!r} not found.")
    return key, "image/jpeg" if preview else image.media_type


def _removed(image: ColorImage) -> str:
    assert image.removed_at is not None
    return (f"removed at {image.removed_at:%Y-%m-%d %H:%M} UTC (colour images are kept "
            f"{get_settings().color_retention_hours:g} hours)")
