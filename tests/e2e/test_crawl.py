"""Crawl jobs over HTTP (seed 004), against a local web (tests.support.fake_web) that
the real crawl worker processes reach through the address policy's test allow-list."""

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import User, register_and_login, wait_for_status
from tests.support.crawl import PROGRESS, create, images, sha, start
from tests.support.db import chunks, ledger_for_job
from tests.support.fake_web import CAT_1, CAT_2, CAT_SOFA, DOG_1, IMAGES, WEB_KEPT, FakeWeb


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="crawl")


def test_web_crawl_flow_as_the_seed_shows_it(api: httpx.Client, user: User,
                                             fake_web: FakeWeb) -> None:
    created = create(api, user, engines=["web"], max_images=20,
                     seed_urls=[f"{fake_web.url}/sitemap.xml", f"{fake_web.url}/index.html"])
    assert created.status_code == 201, created.text
    job = created.json()
    assert (job["status"], job["reserved_credits"], job["kind"]) == ("pending", 20, "crawl")

    started = start(api, user, job["id"])
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["job_id"] == job["id"] and body["status"] == "running"
    assert body["total_chunks"] == 1 and len(body["task_ids"]) == 1
    assert uuid.UUID(body["task_ids"][0]).version == 4  # seed 004's download task ids
    assert body["message"] == "Job started with 1 tasks"

    progress = wait_for_status(api, user, job["id"], statuses={"completed", "failed"},
                               path=PROGRESS)
    assert progress["status"] == "completed", progress
    assert (progress["progress"], progress["total_chunks"], progress["completed_chunks"],
            progress["failed_chunks"], progress["active_chunks"]) == (100, 1, 1, 0, 0)
    assert progress["downloaded_images"] == len(WEB_KEPT)

    kept = images(api, user, job["id"])
    assert kept["total"] == len(WEB_KEPT)
    assert {image["sha256"] for image in kept["images"]} == {
        sha(IMAGES[name][1]) for name in WEB_KEPT}
    by_url = {image["source_url"].rsplit("/", 1)[-1]: image for image in kept["images"]}
    cat = by_url["cat-1.png"]
    assert (cat["width"], cat["height"], cat["format"], cat["size_bytes"]) == (
        64, 48, "png", len(CAT_1))
    assert cat["page_url"] == f"{fake_web.url}/gallery/cats.html"
    assert cat["alt_text"] == "a tabby cat" and cat["relevance"] == 1.0
    assert by_url["sofa-photo.png"]["relevance"] == 1.0  # from its figure caption
    # Only the page title ("Cat gallery") speaks for the dog: kept, but offered later.
    assert by_url["dog-1.png"]["relevance"] == 0.5
    assert by_url["cat-corrupt.png"]["width"] is None  # kept for validation to judge
    # The sentences download is a PDF job's: a crawl is pointed at its images instead.
    as_text = api.get(f"/api/v1/jobs/{job['id']}/result?format=txt", headers=user.headers)
    assert as_text.status_code == 400 and as_text.json()["error_type"] == "INVALID_STATE"
    assert f"GET /api/v1/jobs/{job['id']}/images" in as_text.json()["detail"]

    paths = fake_web.paths()
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/private/")]  # robots.txt says no
    assert "/img/cat-2-small.jpg" not in paths  # srcset: only the widest is fetched
    assert all(agent.startswith("ConveyorCrawler/") for agent in fake_web.user_agents())
    refused = chunks(job["id"])[0].result["items"][0]["refused"]
    assert refused == {"not_an_image": 2, "redirect_loop": 1, "timeout": 1, "too_large": 1,
                       "address_refused": 1, "http_error": 1}, refused

    finalized = api.post(f"/api/v1/jobs/{job['id']}/finalize", headers=user.headers)
    assert finalized.status_code == 200, finalized.text
    assert (finalized.json()["charged_credits"], finalized.json()["released_credits"]) == (
        len(WEB_KEPT), 20 - len(WEB_KEPT))
    assert ledger_for_job(job["id"]) == [("reserve", 20), ("charge", len(WEB_KEPT)),
                                         ("release", 20 - len(WEB_KEPT))]


def test_one_chunk_per_keyword_and_engine_through_the_search_apis(
        api: httpx.Client, user: User) -> None:
    job = create(api, user, keywords=["cat", "kitten"], engines=["bing", "google"],
                 max_images=40).json()
    body = start(api, user, job["id"]).json()
    assert body["total_chunks"] == 4 and len(set(body["task_ids"])) == 4

    progress = wait_for_status(api, user, job["id"], statuses={"completed", "failed"},
                               path=PROGRESS)
    assert (progress["status"], progress["completed_chunks"]) == ("completed", 4), progress
    kept = images(api, user, job["id"], limit=100)
    # Bing answers cat-1, cat-2, an HTML page and dog-1; Google sofa-photo and cat-1: four
    # distinct files, each kept once in the job whichever chunk found it first.
    assert {image["sha256"] for image in kept["images"]} == {
        sha(CAT_1), sha(CAT_2), sha(DOG_1), sha(CAT_SOFA)}
    assert progress["downloaded_images"] == kept["total"] == 4
    assert {spec.spec["engine"] for spec in chunks(job["id"])} == {"bing", "google"}
    assert [c.spec["max_images"] for c in chunks(job["id"])] == [10, 10, 10, 10]
    only_google = images(api, user, job["id"], engine="google")
    assert only_google["total"] >= 1
    assert all(image["engine"] == "google" for image in only_google["images"])


def test_cancel_mid_crawl_charges_only_the_images_kept(api: httpx.Client, user: User,
                                                       fake_web: FakeWeb) -> None:
    job = create(api, user, engines=["web"], max_images=40,
                 seed_urls=[f"{fake_web.url}/slow-gallery.html"]).json()
    assert start(api, user, job["id"]).status_code == 200
    deadline = time.monotonic() + 60
    while api.get(PROGRESS.format(id=job["id"]), headers=user.headers
                  ).json()["downloaded_images"] < 2:
        assert time.monotonic() < deadline, "the crawl kept no images"
        time.sleep(0.05)

    cancelled = api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["revoked_tasks"] == 1
    time.sleep(1.0)  # a download in flight must not be kept after the cancel
    kept = images(api, user, job["id"])["total"]
    assert 2 <= kept < 40
    progress = api.get(PROGRESS.format(id=job["id"]), headers=user.headers).json()
    assert (progress["status"], progress["downloaded_images"]) == ("cancelled", kept)
    assert ledger_for_job(job["id"]) == [("reserve", 40), ("charge", kept),
                                         ("release", 40 - kept)]
    again = api.post(f"/api/v1/jobs/{job['id']}/cancel", headers=user.headers)
    assert again.status_code == 400 and "cancelled" in again.json()["detail"]


@pytest.mark.parametrize("body, fragment", [
    ({"keywords": []}, "keywords"),
    ({"engines": ["altavista"]}, "engines"),
    ({"engines": ["web"]}, "seed_urls"),
    ({"engines": ["bing"], "max_images": 0}, "max_images"),
    ({"engines": ["web"], "seed_urls": ["ftp://example.com/"]}, "seed_urls"),
    ({"engines": ["bing", "bing"]}, "repeat"),
])
def test_bad_crawl_requests_get_422(api: httpx.Client, user: User, body: dict[str, Any],
                                    fragment: str) -> None:
    response = create(api, user, **{"max_images": 5, **body})
    assert response.status_code == 422, response.text
    assert fragment in response.text


def test_the_name_defaults_to_the_keywords(api: httpx.Client, user: User) -> None:
    response = api.post("/api/v1/jobs", headers=user.headers, json={
        "keywords": ["laptop", "notebook"], "engines": ["bing"], "max_images": 3})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "laptop, notebook"
    # Answers are shaped per kind: a crawl job carries no PDF fields.
    assert not {"model", "gemini_api_calls", "gemini_tokens_used"} & response.json().keys()
    progress = api.get(f"/api/v1/jobs/{response.json()['id']}/progress", headers=user.headers)
    assert progress.json()["downloaded_images"] == 0


def test_more_images_than_credits_is_refused_with_402(api: httpx.Client, user: User) -> None:
    response = create(api, user, engines=["bing"], max_images=101)
    assert response.status_code == 402, response.text


def test_start_twice_and_other_users_jobs(api: httpx.Client, user: User) -> None:
    job = create(api, user, engines=["bing"], max_images=2).json()
    assert start(api, user, job["id"]).status_code == 200
    again = start(api, user, job["id"])
    assert again.status_code == 400
    assert again.json()["detail"].startswith("Cannot start job with status ")
    assert again.json()["detail"].endswith("Only pending jobs can be started.")

    stranger = register_and_login(api, prefix="stranger")
    for method, path in [("GET", PROGRESS), ("POST", "/api/v1/jobs/{id}/start"),
                         ("POST", "/api/v1/jobs/{id}/cancel"),
                         ("GET", "/api/v1/jobs/{id}/images")]:
        response = api.request(method, path.format(id=job["id"]), headers=stranger.headers)
        assert response.status_code == 404, (path, response.text)


# An address the policy refuses (private) and the test allow-list does not let through.
_PRIVATE_SEED = "http://10.255.255.1/cats.html"


def test_a_crawl_whose_every_seed_is_refused_fails_and_names_them(
        api: httpx.Client, user: User) -> None:
    created = create(api, user, engines=["web"], max_images=5,
                     seed_urls=[_PRIVATE_SEED, "http://192.168.0.1/"])
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert start(api, user, job_id).status_code == 200
    wait_for_status(api, user, job_id, statuses={"completed", "failed"}, path=PROGRESS)
    job = api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()
    assert (job["status"], job["error_type"], job["retryable"]) == (
        "failed", "ADDRESS_REFUSED", False), job
    assert _PRIVATE_SEED in job["error"] and "http://192.168.0.1/" in job["error"]
    assert job["failed_chunks"][0]["error_type"] == "ADDRESS_REFUSED"
    assert ledger_for_job(job_id) == [("reserve", 5), ("release", 5)]


def test_a_partly_refused_crawl_lists_its_refusals(api: httpx.Client, user: User,
                                                   fake_web: FakeWeb) -> None:
    created = create(api, user, engines=["web"], max_images=1, max_depth=0,
                     seed_urls=[f"{fake_web.url}/gallery/cats.html", _PRIVATE_SEED])
    job_id = created.json()["id"]
    assert start(api, user, job_id).status_code == 200
    wait_for_status(api, user, job_id, statuses={"completed", "failed"}, path=PROGRESS)
    job = api.get(f"/api/v1/jobs/{job_id}", headers=user.headers).json()
    assert (job["status"], job["partial"]) == ("completed", False), job
    refused = job["result"]["refused_urls"]
    assert {"url": _PRIVATE_SEED, "reason": "address_refused"}.items() <= refused[0].items()
    assert job["result"]["refused_pages"] == 1
    events = api.get(f"/api/v1/jobs/{job_id}/events", headers=user.headers).json()["events"]
    listed = [e for e in events if e["event_type"] == "refused"]
    assert len(listed) == 1 and listed[0]["detail"]["urls"][0]["url"] == _PRIVATE_SEED
