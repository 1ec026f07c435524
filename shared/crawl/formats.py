"""The Content-Types that declare each image format a crawl recognises by its magic bytes
(`shared.images.sniff_image_format`; the fast validation level compares the two)."""

FORMAT_MEDIA_TYPES: dict[str, tuple[str, ...]] = {
    "jpeg": ("image/jpeg", "image/jpg", "image/pjpeg"),
    "png": ("image/png", "image/x-png"),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "tiff": ("image/tiff",),
    "bmp": ("image/bmp", "image/x-ms-bmp"),
}
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "gif": ".gif", "webp": ".webp", "tiff": ".tif",
              "bmp": ".bmp"}


def declared_format_agrees(declared_type: str | None, detected: str) -> bool:
    media_type = (declared_type or "").split(";")[0].strip().lower()
    return media_type in FORMAT_MEDIA_TYPES.get(detected, ())
