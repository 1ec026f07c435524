"""One colour transfer job (seed 000), milestone by milestone: load (10), transfer (30),
quality control (60), save (80); the job service marks it done (100)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike
from sqlalchemy.orm import Session

from services.workers.color.png_writer import indexed_png_bytes, png_bytes
from services.workers.color.qc import quality_report
from services.workers.color.transfer import Transfer, transfer_to_lab
from shared import storage
from shared.color import pixels, steps
from shared.color import repository as color_repo
from shared.color.models import ColorImage, ColorImageRole, new_public_id
from shared.color.palette import ral_classic
from shared.db import utcnow
from shared.errors import ConveyorError, ErrorCode
from shared.image_decode import load_image
from shared.jobs.chunk_runner import ChunkContext, ChunkOutput
from shared.settings import get_settings

RESULT_AREA = "color"
PREVIEW_SIDE = 320  # each half of the before/after preview, on its long side
_PREVIEW_QUALITY = 80


def process_color_transfer(context: ChunkContext) -> ChunkOutput:
    params = context.params
    # The gateway checked the code; a palette change could still refuse it here.
    target = ral_classic().require(params["target_ral_code"])
    defer = _quick(params)
    context.step(steps.LOADING.code, steps.LOADING.progress, defer=defer)
    image, mask = _load(context)
    context.step(steps.TRANSFER.code, steps.TRANSFER.progress, defer=defer)
    try:
        result = transfer_to_lab(image, target.lab, mask=mask,
                                 downsample=bool(params.get("downsample", True)),
                                 strength=float(params.get("strength", 1.0)))
    except ValueError as exc:  # a mask that selects nothing
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"Cannot transfer: {exc}.") from exc
    context.step(steps.QUALITY_CONTROL.code, steps.QUALITY_CONTROL.progress, defer=defer)
    report, encoded = measure_and_encode(result, target.lab)
    context.step(steps.SAVING.code, steps.SAVING.progress, defer=defer)

    def store(session: Session) -> dict[str, Any]:
        public_id = _save(session, context, result, encoded)
        return {"items": [{"success": True, "result_job_id": public_id,
                           "source_job_id": params["upload_id"], "ral_info": target.to_dict(),
                           "qc_report": report, "width": result.image.shape[1],
                           "height": result.image.shape[0],
                           "downloads": downloads(public_id)}]}

    return ChunkOutput(store=store, metrics={"qc_passed": report["passed"]})


def _quick(params: dict[str, Any]) -> bool:
    """An upload of at most 1920 px on its long side takes 1-10 ms a milestone: its
    milestones are logged with the result, one commit instead of five (a poll would
    rarely see one). A larger one shows each milestone as it begins."""
    return pixels.fits(int(params.get("width") or 0), int(params.get("height") or 0))


def downloads(public_id: str) -> dict[str, str]:
    return {"result": f"/api/v1/download/{public_id}.png",
            "preview": f"/api/v1/download/{public_id}_preview.jpg"}


def _load(context: ChunkContext) -> tuple[np.ndarray, np.ndarray | None]:
    if context.input_path is None:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the job has no image")
    max_pixels = get_settings().max_image_pixels
    image = _kept_pixels(context.params)
    if image is None:
        image = load_image(_existing(context.input_path), max_pixels=max_pixels, color=True)
    mask_path = context.params.get("mask_path")
    if not mask_path:
        return image, None
    mask = _kept_pixels(context.params, prefix="mask_")
    if mask is None:
        mask = load_image(_existing(mask_path), max_pixels=max_pixels)
    # Kept pixels are BGR; a grey mask repeated in three channels converts back exactly.
    return image, cv2.cvtColor(mask, cv2.COLOR_BGR2GRAY) if mask.ndim == 3 else mask


def _kept_pixels(params: dict[str, Any], prefix: str = "") -> np.ndarray | None:
    """An upload's pixels as the gateway decoded them at upload, when it kept them:
    `pixels_path`, `width`, `height` in the job's parameters, with `prefix` (the mask's)."""
    kept = params.get(f"{prefix}pixels_path")
    if not kept:
        return None
    return pixels.load(kept, width=int(params[f"{prefix}width"]),
                       height=int(params[f"{prefix}height"]))


def _existing(relative_path: str) -> Path:
    try:
        return storage.local_file(relative_path)
    except storage.ObjectMissing:
        raise ConveyorError(ErrorCode.INPUT_MISSING, "The uploaded image is gone (uploads "
                            "are kept 24 hours); upload it again.") from None


@dataclass(frozen=True)
class EncodedFiles:
    png: bytes
    preview_jpeg: bytes


def measure_and_encode(result: Transfer, target_lab: ArrayLike
                       ) -> tuple[dict[str, Any], EncodedFiles]:
    """The QC report and the files. The PNG is encoded on this process's encoder thread
    while this one measures the report and encodes the preview: all three release the GIL
    for most of their time. An unmasked result is written as the palette PNG it is
    (6 ms for 1920x1080; a truecolour one takes 15)."""
    png = _encoder().submit(result_png, result)
    report = quality_report(result, target_lab)
    preview = preview_jpeg(result)
    return report, EncodedFiles(png=png.result(), preview_jpeg=preview)


def result_png(result: Transfer) -> bytes:
    if result.indexed is not None:
        return indexed_png_bytes(result.indexed.index, result.indexed.palette)
    return png_bytes(result.image)


@cache
def _encoder() -> ThreadPoolExecutor:
    # Made on first use, so in the worker process that runs tasks, never before a fork.
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="color-encode")


def _save(session: Session, context: ChunkContext, result: Transfer,
          files: EncodedFiles) -> str:
    """Write the result PNG and the before/after preview and record them (the chunk
    runner calls this with the job locked and live; see ChunkOutput.store)."""
    now = utcnow()
    public_id = new_public_id(now)
    height, width = result.image.shape[:2]
    color_repo.add_image(session, ColorImage(
        public_id=public_id, user_id=context.user_id, role=ColorImageRole.RESULT,
        path=storage.write_bytes_in(session, RESULT_AREA, ".png", files.png),
        preview_path=storage.write_bytes_in(session, RESULT_AREA, ".jpg", files.preview_jpeg),
        media_type="image/png", width=width, height=height, size_bytes=len(files.png),
        source_id=context.params["upload_pk"], job_id=context.job_id, created_at=now,
        expires_at=now + timedelta(hours=get_settings().color_retention_hours)))
    return public_id


def before_after_preview(result: Transfer) -> np.ndarray:
    """The input and the result side by side, each at most PREVIEW_SIDE px long."""
    height, width = result.image.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    before = cv2.resize(result.original, size, interpolation=cv2.INTER_AREA)
    after = cv2.resize(result.image, size, interpolation=cv2.INTER_AREA)
    gap = np.full((size[1], 4, 3), 255, np.uint8)
    return np.hstack([before, gap, after])


def preview_jpeg(result: Transfer) -> bytes:
    ok, encoded = cv2.imencode(".jpg", before_after_preview(result),
                               [cv2.IMWRITE_JPEG_QUALITY, _PREVIEW_QUALITY])
    if not ok:
        raise ConveyorError(ErrorCode.INTERNAL, "could not encode the preview")
    return encoded.tobytes()
