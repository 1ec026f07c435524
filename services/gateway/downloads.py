"""Serving a stored file to its owner (the caller has checked ownership already).

`local`: the file itself. `s3`: streamed through the gateway a block at a time, or, with
S3_PRESIGN_DOWNLOADS, a redirect to a URL presigned for S3_PRESIGN_SECONDS.
"""

from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from shared import storage
from shared.errors import ConveyorError, ErrorCode
from shared.settings import get_settings


def stored_file_response(key: str, *, media_type: str, filename: str) -> Response:
    """Blocking (the store answers first): call it from a sync route."""
    store = storage.backend()
    try:
        path = store.local_path(key)
        if path is not None:
            return FileResponse(path, media_type=media_type, filename=filename)
        settings = get_settings()
        if settings.s3_presign_downloads:
            url = store.presigned_url(key, filename=filename, media_type=media_type,
                                      expires_seconds=settings.s3_presign_seconds)
            if url is not None:
                return RedirectResponse(url, status_code=307)
        size, blocks = store.blocks(key)
    except storage.ObjectMissing:
        raise ConveyorError(ErrorCode.NOT_FOUND, f"File {filename!r} not found.") from None
    return StreamingResponse(blocks, media_type=media_type, headers={
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{filename}"'})
