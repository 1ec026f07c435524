"""A burst of requests larger than the gateway's thread pool (40) and its database pool
(20) together is answered, every request, on a gateway that has just started.

Routes that read the database run their unit of work whole on one worker thread. When a
route held its session across thread hops (a sync route's answer is validated on another
worker thread), a burst of 60 left 20 answers holding the pool's connections while they
waited for a thread, and every thread waiting for a connection: after the pool's 30 s
timeout, 500s."""

import asyncio
from collections import Counter

import httpx

from tests.support.api import register_and_login
from tests.support.stack import gateway_with_settings

BURST = 120  # three times the thread pool, six times the database pool


async def _statuses(url: str, path: str, headers: dict[str, str]) -> Counter[int]:
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        answers = await asyncio.gather(*[client.get(path, headers=headers)
                                         for _ in range(BURST)])
    return Counter(answer.status_code for answer in answers)


def test_a_burst_on_routes_that_read_the_database_is_answered_in_full(stack, api):
    user = register_and_login(api, prefix="burst")
    for path in ("/api/v1/auth/me", "/api/v1/webhooks", "/api/v1/credits"):
        # A fresh gateway for each: no thread or connection is open yet, as after a deploy.
        with gateway_with_settings(stack) as url:
            assert asyncio.run(_statuses(url, path, user.headers)) == {200: BURST}, path
