"""Colour (seed 000, under /api/v1): RAL palette, matching and Delta E; image upload,
colour transfer (sync and async), task status, downloads.

Palette and matching are a fraction of a millisecond of CPU (213 colours, vectorised), so
those routes run on the event loop instead of hopping to a worker thread.
"""

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response

from services.gateway.color import images, service
from services.gateway.color.schemas import (
    AsyncTransferIn,
    DeltaEIn,
    DeltaEOut,
    Group,
    MatchIn,
    MatchOut,
    PaletteColourOut,
    PaletteOut,
    SyncTransferOut,
    TaskAccepted,
    TaskStatusOut,
    TransferIn,
    UploadOut,
)
from services.gateway.deps import (
    JobsDep,
    SettingsDep,
    UserIdDep,
    long_poll_seconds,
)
from services.gateway.downloads import stored_file_response
from services.gateway.idempotency import IdempotencyKey
from services.gateway.openapi import errors, upload_example
from services.gateway.ratelimit import limited
from services.gateway.webhooks.service import callback_for
from shared.db import in_transaction

router = APIRouter(prefix="/api/v1", responses=errors(500, 503))
COLOR_UPLOAD_PATH = "/api/v1/upload"


@router.get("/palette", tags=["palette"], responses=errors(401, 422))
async def palette(_: UserIdDep,
                  group: Annotated[Group | None, Query(examples=["red"])] = None,
                  name: Annotated[str | None, Query(max_length=100, examples=["flame"])] = None
                  ) -> PaletteOut:
    """The RAL Classic colours (reference L*a*b* D65/10°, derived sRGB); filter by group or
    by a part of the name."""
    return service.palette(group, name)


@router.get("/palette/{ral_code}", tags=["palette"], responses=errors(401, 404, 422))
async def palette_colour(ral_code: Annotated[str, Path(examples=["RAL 3000"])], _: UserIdDep
                         ) -> PaletteColourOut:
    """One RAL colour: 'RAL 3000', 'ral3000' and '3000' all work; 404 if unknown."""
    return service.palette_colour(ral_code)


@router.post("/color/match", tags=["color-matching"], responses=errors(400, 401, 404, 422))
async def match(body: MatchIn, _: UserIdDep) -> MatchOut:
    """The RAL colours nearest to an rgb, hex, lab or ral colour, with their Delta E."""
    return service.match(body)


@router.post("/color/delta-e", tags=["color-matching"],
             responses=errors(400, 401, 404, 422))
async def delta_e(body: DeltaEIn, _: UserIdDep) -> DeltaEOut:
    """The difference between two colours (CIEDE2000, CIE94 or CIE76)."""
    return service.difference(body)


@router.post("/upload", tags=["image-processing"], status_code=201,
             responses=errors(400, 401, 413, 422), openapi_extra=upload_example(file="door.jpg"))
async def upload(user_id: UserIdDep, settings: SettingsDep, file: Annotated[UploadFile, File()]
                 ) -> UploadOut:
    """Upload an image (JPEG, PNG, WebP or TIFF, by content; at most 25 MB and 50
    megapixels); returns its `job_id` for /process/*, its upright size and the RAL colours
    that dominate it. Kept 24 hours."""
    return await images.upload_image(user_id=user_id, upload=file, settings=settings)


@router.post("/process/reinhard", tags=["image-processing"],
             responses=errors(400, 401, 402, 404, 409, 422, 504))
async def process_reinhard(body: TransferIn, user_id: UserIdDep, jobs: JobsDep,
                           settings: SettingsDep, idempotency_key: IdempotencyKey = None
                           ) -> SyncTransferOut:
    """Recolour an upload toward a RAL colour and wait for the result (up to 60 s, then 504
    with the `task_id` to follow). Costs 2 credits, refunded if it fails. No callback_url:
    the answer is the result; queue with POST /process/async to have events pushed.
    The same `Idempotency-Key` again waits for the same task (409 with another body)."""
    view = await images.submit_transfer(jobs, user_id=user_id, body=body, waited=True,
                                        idempotency_key=idempotency_key)
    return await images.wait_for_transfer(jobs, user_id=user_id, view=view,
                                          timeout=settings.sync_color_wait_seconds)


# 400 also for a callback_url the address policy refuses.
@router.post("/process/async", tags=["async-tasks"], status_code=202,
             response_model_exclude_none=True,
             responses=errors(400, 401, 402, 404, 409, 422, 429))
@limited("rate_limit_color_async")
async def process_async(request: Request, body: AsyncTransferIn, user_id: UserIdDep,
                        jobs: JobsDep, idempotency_key: IdempotencyKey = None
                        ) -> TaskAccepted:
    """Queue a colour transfer; 202 with the `task_id` to poll at `status_url`. Costs 2
    credits, refunded if it fails or is cancelled. `callback_url`: the task's events are
    sent there, signed, and `callback_secret` verifies them (see /api/v1/webhooks). The
    same `Idempotency-Key` again answers with the same `task_id` (409 with another body)."""
    endpoint_id, secret = await callback_for(user_id, body.callback_url)
    view = await images.submit_transfer(jobs, user_id=user_id, body=body, waited=False,
                                        idempotency_key=idempotency_key,
                                        webhook_endpoint_id=endpoint_id)
    return TaskAccepted(task_id=view.uuid, status_url=images.status_url(view.uuid),
                        callback_secret=secret)


@router.get("/task/{task_id}", tags=["async-tasks"], responses=errors(401, 404, 422))
async def task(task_id: Annotated[str, Path(examples=["3c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"])],
               user_id: UserIdDep, jobs: JobsDep,
               wait_seconds: Annotated[float, long_poll_seconds(
                   "the task has ended (SUCCESS, FAILURE or REVOKED)")] = 0
               ) -> TaskStatusOut:
    """PENDING (0), STARTED with progress 10 loading, 30 transfer, 60 quality control, 80
    saving; SUCCESS (100) with the result; FAILURE with the error; REVOKED.
    `?wait_seconds=10` saves polling: the answer comes the moment the task ends."""
    return await images.task_status(jobs, user_id=user_id, task_id=task_id,
                                     wait_seconds=wait_seconds)


@router.get("/download/{filename}", tags=["image-processing"], response_class=FileResponse,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}},
                             "description": "the result image, or its before/after preview"},
                       307: {"description": "with S3_PRESIGN_DOWNLOADS: a redirect to the "
                                            "file in the object store, valid for "
                                            "S3_PRESIGN_SECONDS"},
                       **errors(401, 404, 422)})
def download(filename: Annotated[str, Path(examples=["20261204_093005_e5f6a7b8.png"])],
             user_id: UserIdDep) -> Response:
    """A result of yours: `<result_job_id>.png`, or `<result_job_id>_preview.jpg` (the
    before/after preview). Anyone else's, or anything else, is 404."""
    # Sync: the store may answer before the response starts (see stored_file_response).
    key, media_type = in_transaction(images.download, user_id=user_id, filename=filename)
    return stored_file_response(key, media_type=media_type, filename=filename)
