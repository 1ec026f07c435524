"""The crawler's address policy, alone and in the real Fetcher against a local server."""

import ipaddress
from collections.abc import Iterator

import pytest

from services.workers.crawl.fetcher import Fetcher, FetchRefused
from services.workers.crawl.settings import CrawlSettings
from shared.address_policy import AddressPolicy
from tests.support.fake_web import FakeWeb


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
    "100.64.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1",
])
def test_non_public_addresses_are_refused_by_default(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1"])
def test_public_addresses_pass(address: str) -> None:
    assert AddressPolicy().refusal(ipaddress.ip_address(address)) is None


def test_an_allow_list_lets_a_network_through() -> None:
    policy = AddressPolicy.from_setting("127.0.0.1/32, 10.0.0.0/8")
    assert policy.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert policy.refusal(ipaddress.ip_address("10.9.8.7")) is None
    assert policy.refusal(ipaddress.ip_address("127.0.0.2")) is not None


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    server = FakeWeb().start()
    yield server
    server.stop()


def test_the_fetcher_never_connects_to_a_refused_address(web: FakeWeb) -> None:
    fetcher = Fetcher(CrawlSettings(crawl_allowed_networks="", crawl_host_delay_seconds=0))
    with pytest.raises(FetchRefused) as refused:
        fetcher.get(f"{web.url}/index.html", max_bytes=10_000)
    fetcher.close()
    assert refused.value.reason == "address_refused"
    assert web.paths() == []  # not even robots.txt was requested


def test_redirects_are_checked_hop_by_hop(web: FakeWeb) -> None:
    fetcher = Fetcher(CrawlSettings(crawl_allowed_networks="127.0.0.1/32",
                                    crawl_host_delay_seconds=0))
    try:
        with pytest.raises(FetchRefused) as to_private:
            fetcher.get(f"{web.url}/img/cat-to-private.png", max_bytes=10_000)
        with pytest.raises(FetchRefused) as loop:
            fetcher.get(f"{web.url}/img/cat-redirect-loop.png", max_bytes=10_000)
        with pytest.raises(FetchRefused) as huge:
            fetcher.get(f"{web.url}/img/cat-huge.png", max_bytes=100_000)
    finally:
        fetcher.close()
    assert (to_private.value.reason, loop.value.reason, huge.value.reason) == (
        "address_refused", "redirect_loop", "too_large")
