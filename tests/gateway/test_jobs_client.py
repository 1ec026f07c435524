"""The gateway's client for the job service, when there is no job service to answer: the
caller gets UPSTREAM_UNAVAILABLE (503), not a transport error (500)."""

import asyncio

import pytest

from services.gateway.jobs_client import JobsClient
from shared.errors import ConveyorError, ErrorCode
from tests.support.stack import free_port


async def _get_from_nobody() -> ConveyorError:
    client = JobsClient(base_url=f"http://127.0.0.1:{free_port()}", service_token="token",
                        timeout=5.0)
    try:
        with pytest.raises(ConveyorError) as caught:
            await client.get(1, 1)
        return caught.value
    finally:
        await client.aclose()


def test_a_job_service_that_is_not_there_is_upstream_unavailable() -> None:
    error = asyncio.run(_get_from_nobody())
    assert error.code is ErrorCode.UPSTREAM_UNAVAILABLE
    assert "try again" in error.message
