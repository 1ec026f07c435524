"""Validation of a crawl job's images over HTTP (seed 004), at each level, on a dataset
whose verdicts are known (tests.support.validation_images), with real crawl workers."""

from typing import Any

import httpx
import pytest

from shared.celery_app import TaskName, create_celery_app
from tests.support.api import User, register_and_login, wait_for_status
from tests.support.crawl import PROGRESS, crawl_to_completion, create, images
from tests.support.fake_web import FakeWeb
from tests.support.validation_images import DATASET, NEAR_DUPLICATE_PAIR, expected

BATCHES = 3  # 11 images, VALIDATION_BATCH_SIZE=4 in the tests


def validate(api: httpx.Client, user: User, job_id: int, **body: Any) -> httpx.Response:
    return api.post(f"/api/v1/validation/job/{job_id}/", headers=user.headers, json=body)


def validated(api: httpx.Client, user: User, job_id: int, level: str) -> dict[str, Any]:
    """Run one validation at `level` to its end; the seed's answer to the request."""
    response = validate(api, user, job_id, level=level)
    assert response.status_code == 200, response.text
    answer = response.json()
    progress = wait_for_status(api, user, answer["validation_job_id"],
                               statuses={"completed", "failed"}, path=PROGRESS)
    assert progress["status"] == "completed", progress
    return dict(answer)


def by_name(api: httpx.Client, user: User, job_id: int) -> dict[str, dict[str, Any]]:
    listed = images(api, user, job_id, limit=100)["images"]
    return {image["source_url"].rsplit("/", 1)[-1]: image for image in listed}


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="validate")


@pytest.fixture
def dataset_job(api: httpx.Client, user: User, fake_web: FakeWeb) -> int:
    job_id = crawl_to_completion(api, user, keywords=["bird"], engines=["web"], max_images=20,
                                 seed_urls=[f"{fake_web.url}/dataset.html"])
    assert set(by_name(api, user, job_id)) == set(DATASET)
    return job_id


def test_each_level_gives_the_known_verdicts(api: httpx.Client, user: User,
                                             dataset_job: int) -> None:
    numbered = 0
    for level in ("fast", "medium", "slow", "medium"):
        answer = validated(api, user, dataset_job, level)
        assert (answer["job_id"], answer["images_count"], answer["validation_level"]) == (
            dataset_job, len(DATASET), level)
        assert answer["message"] == f"Validation started for {len(DATASET)} images"
        # Seed 004's task ids, numbered on over the job's runs so each stays unique.
        assert answer["task_ids"] == [f"task_{dataset_job}_{n}"
                                      for n in range(numbered, numbered + BATCHES)]
        numbered += BATCHES
        seen = by_name(api, user, dataset_job)
        for name, image in seen.items():
            verdict, codes = expected(name, level)
            found = {reason["code"] for reason in image["reasons"]}
            assert (image["verdict"], found, image["validation_level"]) == (
                verdict, codes, level), (name, image["reasons"])
        if level == "slow":
            original, copy = (seen[name] for name in NEAR_DUPLICATE_PAIR)
            assert original["id"] < copy["id"]
            assert [r["image_id"] for r in copy["reasons"]] == [original["id"]]
        counts = images(api, user, dataset_job)["verdicts"]
        invalid = sum(expected(name, level)[0] == "invalid" for name in DATASET)
        assert counts == {"valid": len(DATASET) - invalid, "invalid": invalid,
                          "unvalidated": 0}
        only_invalid = images(api, user, dataset_job, verdict="invalid")
        assert only_invalid["total"] == invalid

    run = api.get(f"/api/v1/jobs/{answer['validation_job_id']}", headers=user.headers).json()
    assert (run["kind"], run["status"], run["finalized"], run["charged_credits"]) == (
        "validation", "completed", True, 0)
    assert run["result"] == {"crawl_job_id": dataset_job, "validation_level": "medium",
                             "validated_images": len(DATASET),
                             "images_url": f"/api/v1/jobs/{dataset_job}/images"}
    crawl = api.get(f"/api/v1/jobs/{dataset_job}", headers=user.headers).json()
    assert crawl["result"]["downloaded_images"] == len(DATASET)


def test_default_level_one_run_at_a_time_and_unknown_levels(
        api: httpx.Client, user: User, dataset_job: int) -> None:
    slow = validate(api, user, dataset_job, level="slow")
    assert slow.status_code == 200, slow.text
    # The slow level's rate limit (100 tasks/min) spaces its three tasks 0.6 s apart.
    second = validate(api, user, dataset_job, level="fast")
    assert second.status_code == 409, second.text
    assert "being validated already" in second.json()["detail"]
    wait_for_status(api, user, slow.json()["validation_job_id"], statuses={"completed"},
                    path=PROGRESS)

    default = validate(api, user, dataset_job)
    assert default.status_code == 200, default.text
    assert default.json()["validation_level"] == "medium"

    unknown = validate(api, user, dataset_job, level="thorough")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "level"]


def test_no_images_other_users_and_missing_jobs_are_404(api: httpx.Client,
                                                        user: User) -> None:
    never_started = create(api, user, engines=["bing"], max_images=5).json()["id"]
    empty = validate(api, user, never_started, level="fast")
    assert empty.status_code == 404
    assert empty.json()["detail"] == f"No images found for job {never_started}"

    stranger = register_and_login(api, prefix="validate-other")
    assert validate(api, stranger, never_started).status_code == 404
    assert validate(api, user, 987_654_321).status_code == 404
    # A refused run leaves no job behind.
    listed = api.get("/api/v1/jobs", headers=user.headers, params={"kind": "validation"})
    assert listed.json()["total"] == 0


def test_the_crawl_worker_enforces_each_tasks_rate_limit(stack: object) -> None:
    inspector = create_celery_app("test-inspector").control.inspect(timeout=3)
    registered = {line for lines in (inspector.registered("rate_limit") or {}).values()
                  for line in lines}
    for task, limit in ((TaskName.CRAWL_VALIDATE_FAST, "1000/m"),
                        (TaskName.CRAWL_VALIDATE_MEDIUM, "500/m"),
                        (TaskName.CRAWL_VALIDATE_SLOW, "100/m"),
                        (TaskName.CRAWL_CHUNK_WEB, "600/m"),  # the tests' setting
                        (TaskName.CRAWL_CHUNK_BING, "600/m"),
                        (TaskName.CRAWL_CHUNK_GOOGLE, "600/m")):
        assert f"{task.value} [rate_limit={limit}]" in registered, sorted(registered)


def test_a_cancelled_run_stops_and_frees_the_job_for_another(
        api: httpx.Client, user: User, dataset_job: int) -> None:
    slow = validate(api, user, dataset_job, level="slow").json()
    cancelled = api.post(f"/api/v1/jobs/{slow['validation_job_id']}/cancel",
                         headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert 1 <= cancelled.json()["revoked_tasks"] <= BATCHES
    again = validated(api, user, dataset_job, "fast")
    assert again["task_ids"] == [f"task_{dataset_job}_{n}" for n in range(BATCHES, 2 * BATCHES)]
    assert images(api, user, dataset_job)["verdicts"]["unvalidated"] == 0
