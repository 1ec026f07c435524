"""Python client for the Conveyor API.

    from conveyor_client import Conveyor

    with Conveyor("http://127.0.0.1:8000") as conveyor:
        conveyor.login("me@example.com", "a long password")
        job = conveyor.pdf.submit("book.pdf", on_progress=print)
        sentences = conveyor.pdf.result(job.id).sentences
"""

from conveyor_client.async_client import AsyncConveyor
from conveyor_client.client import Conveyor
from conveyor_client.errors import ConveyorConnectionError, ConveyorError, JobFailed, WaitTimeout
from conveyor_client.progress import ProgressSnapshot
from conveyor_client.retry import RetryPolicy

__version__ = "0.1.0"
__all__ = ["AsyncConveyor", "Conveyor", "ConveyorConnectionError", "ConveyorError", "JobFailed",
           "ProgressSnapshot", "RetryPolicy", "WaitTimeout"]
