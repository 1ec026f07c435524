"""Image formats a crawl recognises by their magic bytes, and the Content-Types that
declare them (the fast validation level compares the two)."""

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
SNIFF_BYTES = 12


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= SNIFF_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:2] == b"BM":
        return "bmp"
    return None


def declared_format_agrees(declared_type: str | None, detected: str) -> bool:
    media_type = (declared_type or "").split(";")[0].strip().lower()
    return media_type in FORMAT_MEDIA_TYPES.get(detected, ())
