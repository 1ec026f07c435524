"""Typed answers of the Conveyor API, mirroring the gateway's OpenAPI components."""

from conveyor_client.models._base import ApiModel
from conveyor_client.models.auth import CreditBalance, Credits, LedgerEntry, Token, User
from conveyor_client.models.color import (
    Colour,
    ColourMatch,
    ColourUpload,
    DominantColour,
    RalMatch,
    TransferAccepted,
    TransferResult,
    TransferTask,
)
from conveyor_client.models.crawl import (
    CrawlImage,
    CrawlImages,
    CrawlJob,
    ImageReason,
    ValidationStarted,
    VerdictCounts,
)
from conveyor_client.models.jobs import (
    CrawlResult,
    FailedChunk,
    Job,
    JobCancelled,
    JobEvent,
    JobEvents,
    JobFinalized,
    JobList,
    JobProgress,
    JobResult,
    JobStarted,
    OcrPage,
    PdfResult,
    RefusedUrl,
    ResultDownloads,
    TaskInfo,
    TaskState,
    ValidationResult,
)
from conveyor_client.models.pages import (
    BatchQueued,
    Page,
    PageImageSize,
    PageList,
    PageQueued,
    PageResult,
    PageTask,
    PageTaskCancelled,
    Project,
)
from conveyor_client.models.pdf import PdfConfirmed, PdfStarted
from conveyor_client.models.receipts import ReceiptCancelled, ReceiptStatus, ReceiptSubmitted

__all__ = [
    "ApiModel", "BatchQueued", "Colour", "ColourMatch", "ColourUpload", "CrawlImage",
    "CrawlImages", "CrawlJob", "CrawlResult", "CreditBalance", "Credits", "DominantColour",
    "FailedChunk", "ImageReason", "Job", "JobCancelled", "JobEvent", "JobEvents",
    "JobFinalized", "JobList", "JobProgress", "JobResult", "JobStarted", "LedgerEntry",
    "OcrPage", "Page", "PageImageSize", "PageList", "PageQueued", "PageResult", "PageTask",
    "PageTaskCancelled", "PdfConfirmed", "PdfResult", "PdfStarted", "Project", "RalMatch",
    "ReceiptCancelled", "ReceiptStatus", "ReceiptSubmitted", "RefusedUrl", "ResultDownloads",
    "TaskInfo", "TaskState", "Token", "TransferAccepted", "TransferResult", "TransferTask",
    "User", "ValidationResult", "ValidationStarted", "VerdictCounts",
]
