"""Colour images over HTTP (seed 000): upload, transfer (async and sync), task status,
downloads, the 24-hour cleanup, and every bad input, through the real gateway, job
service and colour worker processes."""

import io
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select, update

from shared.color import pixels
from shared.color.models import ColorImage
from shared.color.palette import ral_classic
from shared.color.retention import remove_expired_images
from shared.db import session_scope, utcnow
from shared.image_decode import load_image
from shared.jobs.models import JobEvent
from shared.settings import get_settings
from tests.conftest import TEST_ENV
from tests.support.api import User, balance, register_and_login
from tests.support.db import job_id_of, ledger_for_job
from tests.support.files import stored_path
from tests.support.stack import gateway_with_default
from tests.support.surfaces import encoded, shaded_surface

UPLOAD_ID = re.compile(r"^\d{8}_\d{6}_[0-9a-f]{8}$")


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="colour")


def upload(api: httpx.Client, user: User, content: bytes, name: str = "photo.png"
           ) -> httpx.Response:
    return api.post("/api/v1/upload", headers=user.headers,
                    files={"file": (name, content, "application/octet-stream")})


def uploaded(api: httpx.Client, user: User, image: np.ndarray, ext: str = ".png") -> str:
    response = upload(api, user, encoded(image, ext), name=f"photo{ext}")
    assert response.status_code == 201, response.text
    return str(response.json()["job_id"])


def poll(api: httpx.Client, user: User, task_id: str, timeout: float = 60
         ) -> tuple[dict[str, Any], list[str]]:
    """Poll the task until it ends; returns the last answer and every state seen."""
    states: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(f"/api/v1/task/{task_id}", headers=user.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        states.append(body["state"])
        if body["state"] in ("SUCCESS", "FAILURE", "REVOKED"):
            return body, states
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} did not finish: {states[-5:]}")


def decoded(content: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def two_colour_image() -> np.ndarray:
    """Left 60 % RAL 3000, right 40 % RAL 5024 (both inside sRGB), in BGR for OpenCV."""
    palette = ral_classic()
    red, blue = palette.find("RAL 3000"), palette.find("RAL 5024")
    assert red is not None and blue is not None
    image = np.zeros((200, 500, 3), np.uint8)
    image[:, :300] = red.rgb[::-1]
    image[:, 300:] = blue.rgb[::-1]
    return image


# --- upload -------------------------------------------------------------------------------

def test_upload_gives_an_id_the_size_and_the_dominant_ral_colours(api, user):
    response = upload(api, user, encoded(two_colour_image()))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True and UPLOAD_ID.match(body["job_id"])
    assert (body["width"], body["height"], body["format"]) == (500, 200, "png")
    dominant = body["dominant_colors"]
    assert [d["ral_code"] for d in dominant[:2]] == ["RAL 3000", "RAL 5024"]
    assert dominant[0]["share"] == pytest.approx(0.6, abs=0.02)
    assert dominant[1]["share"] == pytest.approx(0.4, abs=0.02)
    assert all(d["delta_e"] < 1.0 for d in dominant[:2])


def sideways_jpeg(height: int, width: int) -> bytes:
    """A height x width surface stored as a JPEG whose EXIF tag says to turn it 90 degrees
    clockwise to view: upright, it is `height` px wide and `width` px tall."""
    picture = Image.fromarray(shaded_surface(height, width)[:, :, ::-1].copy())
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_upload_reports_the_upright_size_of_an_exif_rotated_photo(api, user):
    body = upload(api, user, sideways_jpeg(200, 400), "sideways.jpg").json()
    assert (body["width"], body["height"], body["format"]) == (200, 400, "jpeg")


def _upload_row(upload_id: str) -> ColorImage:
    with session_scope() as session:
        row = session.scalar(select(ColorImage).where(ColorImage.public_id == upload_id))
        assert row is not None
        session.expunge(row)
        return row


def test_an_upload_keeps_its_upright_decoded_pixels_for_transfers(api, user):
    upload_id = upload(api, user, sideways_jpeg(300, 400), "sideways.jpg").json()["job_id"]
    row = _upload_row(upload_id)
    assert row.pixels_path and row.pixels_path.endswith(".npy")
    kept = pixels.load(row.pixels_path, width=300, height=400)
    assert kept is not None
    assert np.array_equal(kept, load_image(stored_path(row.path), color=True,
                                           max_pixels=get_settings().max_image_pixels))


def test_an_upload_longer_than_a_transfer_processes_keeps_no_pixels(api, user):
    body = upload(api, user, encoded(shaded_surface(100, 2000))).json()
    assert (body["width"], body["height"]) == (2000, 100)
    assert _upload_row(body["job_id"]).pixels_path is None


def test_a_transfer_reads_the_kept_pixels_and_decodes_the_upload_without_them(api, user):
    upload_id = uploaded(api, user, shaded_surface(240, 320), ext=".jpg")
    row = _upload_row(upload_id)
    assert row.pixels_path
    original, kept = stored_path(row.path), stored_path(row.pixels_path)

    def transfer() -> np.ndarray:
        response = api.post("/api/v1/process/reinhard", headers=user.headers, json={
            "job_id": upload_id, "target_ral_code": "RAL 6018"})
        assert response.status_code == 200, response.text
        return decoded(api.get(response.json()["downloads"]["result"],
                               headers=user.headers).content)

    first = transfer()
    aside = original.with_name(original.name + ".aside")
    original.rename(aside)  # only the kept pixels are left to read
    try:
        from_kept_only = transfer()
    finally:
        aside.rename(original)
    kept.unlink()  # now only the upload is left: the worker decodes it
    from_upload = transfer()
    assert np.array_equal(first, from_kept_only)
    assert np.array_equal(first, from_upload)


def _bomb() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(buffer, "PNG")  # ~100 kB, 900 megapixels
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "status", "words"), [
    (b"", 400, "empty"),
    (b"%PDF-1.7 this is not an image at all", 400, "not a supported image"),
    (encoded(shaded_surface(), ".png")[:3000], 400, "truncated"),
    (encoded(shaded_surface(), ".jpg")[:2000], 400, "truncated"),
    (_bomb(), 413, "too large"),
], ids=["empty", "not-an-image", "truncated-png", "truncated-jpeg", "bomb"])
def test_bad_uploads_are_refused_clearly(api, user, content, status, words):
    response = upload(api, user, content)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"].lower()


def test_upload_needs_a_token(api):
    response = api.post("/api/v1/upload", files={"file": ("a.png", encoded(shaded_surface()))})
    assert response.status_code == 401


# --- async flow ---------------------------------------------------------------------------

def test_async_transfer_as_the_seed_shows_it(api, user):
    upload_id = uploaded(api, user, shaded_surface(540, 960))
    before = balance(api, user)["balance"]
    response = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000", "downsample": True})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["success"] is True and accepted["message"]
    assert accepted["status_url"] == f"/api/v1/task/{accepted['task_id']}"

    body, states = poll(api, user, accepted["task_id"])
    assert body["state"] == "SUCCESS" and body["progress"] == 100, body
    assert set(states) <= {"PENDING", "STARTED", "SUCCESS"}
    result = body["result"]
    assert result["success"] is True and UPLOAD_ID.match(result["result_job_id"])
    assert result["source_job_id"] == upload_id
    assert result["ral_info"]["code"] == "RAL 3000"
    report = result["qc_report"]
    assert report["passed"] is True, report
    assert report["delta_e_mean"] <= report["thresholds"]["delta_e_mean_max"]
    assert report["lightness_correlation"] >= 0.95

    png = api.get(result["downloads"]["result"], headers=user.headers)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    recoloured = decoded(png.content)
    assert recoloured.shape == (540, 960, 3)
    preview = api.get(result["downloads"]["preview"], headers=user.headers)
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert decoded(preview.content).shape[1] > decoded(preview.content).shape[0]

    job_id = job_id_of(accepted["task_id"])
    assert balance(api, user)["balance"] == before - 2
    assert ledger_for_job(job_id) == [("reserve", 2), ("charge", 2), ("release", 0)]


# Up to 1920 px long the milestones are logged with the result, beyond it one by one.
@pytest.mark.parametrize("size", [(360, 640), (120, 2000)])
def test_the_worker_walks_the_seed_milestones_in_order(api, user, size):
    upload_id = uploaded(api, user, shaded_surface(*size))
    task_id = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "ral5024"}).json()["task_id"]
    assert poll(api, user, task_id)[0]["state"] == "SUCCESS"
    with session_scope() as session:
        events = session.execute(select(JobEvent.detail, JobEvent.created_at).where(
            JobEvent.job_id == job_id_of(task_id), JobEvent.event_type == "step")
            .order_by(JobEvent.id)).all()
    assert [(d["step"], d["progress"]) for d, _ in events] == [
        ("LOADING", 10), ("TRANSFER", 30), ("QUALITY_CONTROL", 60), ("SAVING", 80)]
    # Written together with the save, each still carries the time it began.
    began = [at for _, at in events]
    assert began == sorted(began) and len(set(began)) == len(began)


def test_sync_reinhard_with_a_mask_leaves_the_masked_out_half_alone(api, user):
    image = shaded_surface(300, 400)
    mask = np.zeros((300, 400), np.uint8)
    mask[:, 200:] = 255
    upload_id, mask_id = uploaded(api, user, image), uploaded(api, user, mask)
    response = api.post("/api/v1/process/reinhard", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 6018", "mask_job_id": mask_id})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and body["task_id"] and body["qc_report"]["passed"]
    result = decoded(api.get(body["downloads"]["result"], headers=user.headers).content)
    assert np.array_equal(result[:, :190], image[:, :190])
    assert not np.array_equal(result[:, 210:], image[:, 210:])


def test_a_masked_transfer_reads_the_masks_kept_pixels_and_decodes_it_without(api, user):
    image = shaded_surface(200, 300)
    mask = np.zeros((200, 300, 3), np.uint8)  # a colour mask: its grey decides
    mask[:, 150:] = (40, 255, 255)
    upload_id, mask_id = uploaded(api, user, image), uploaded(api, user, mask)
    mask_row = _upload_row(mask_id)
    assert mask_row.pixels_path
    original = stored_path(mask_row.path)

    def transfer() -> np.ndarray:
        response = api.post("/api/v1/process/reinhard", headers=user.headers, json={
            "job_id": upload_id, "target_ral_code": "RAL 5024", "mask_job_id": mask_id})
        assert response.status_code == 200, response.text
        return decoded(api.get(response.json()["downloads"]["result"],
                               headers=user.headers).content)

    aside = original.with_name(original.name + ".aside")
    original.rename(aside)
    try:
        from_kept_only = transfer()
    finally:
        aside.rename(original)
    stored_path(mask_row.pixels_path).unlink()
    from_upload = transfer()
    assert np.array_equal(from_kept_only, from_upload)
    assert np.array_equal(from_upload[:, :140], image[:, :140])
    assert not np.array_equal(from_upload[:, 160:], image[:, 160:])


def test_a_failed_transfer_says_why_and_refunds(api, user):
    upload_id = uploaded(api, user, shaded_surface())
    empty_mask = uploaded(api, user, np.zeros((360, 640), np.uint8))
    before = balance(api, user)["balance"]
    task_id = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000",
        "mask_job_id": empty_mask}).json()["task_id"]
    body, _ = poll(api, user, task_id)
    assert body["state"] == "FAILURE" and body["progress"] is None
    assert "mask selects no pixels" in body["error"] and body["error_type"] == "INPUT_INVALID"
    assert balance(api, user)["balance"] == before
    assert ledger_for_job(job_id_of(task_id)) == [("reserve", 2), ("release", 2)]

    sync = api.post("/api/v1/process/reinhard", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000", "mask_job_id": empty_mask})
    assert sync.status_code == 400 and "mask selects no pixels" in sync.json()["detail"]
    assert balance(api, user)["balance"] == before


# --- bad requests and other users ---------------------------------------------------------

@pytest.mark.parametrize(("payload", "status", "words"), [
    ({"target_ral_code": "RAL 9999"}, 400, "unknown ral code"),
    ({"target_ral_code": "red"}, 400, "unknown ral code"),
    ({"job_id": "20250101_000000_00000000"}, 404, "not found"),
    ({"job_id": "../../etc/passwd"}, 422, "job_id"),
    ({"strength": 0}, 422, "strength"),
    ({"mask_job_id": "20250101_000000_00000000"}, 404, "mask upload"),
], ids=["unknown-ral", "not-a-ral-code", "unknown-upload", "malformed-id", "zero-strength",
        "unknown-mask"])
def test_bad_transfer_requests_are_refused_clearly(api, user, payload, status, words):
    upload_id = uploaded(api, user, shaded_surface(60, 80))
    body = {"job_id": upload_id, "target_ral_code": "RAL 3000", **payload}
    response = api.post("/api/v1/process/async", headers=user.headers, json=body)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"]).lower()


def test_another_users_upload_task_and_files_are_404(api, user):
    upload_id = uploaded(api, user, shaded_surface(120, 160))
    task_id = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000"}).json()["task_id"]
    result = poll(api, user, task_id)[0]["result"]
    other = register_and_login(api, prefix="intruder")
    assert api.post("/api/v1/process/async", headers=other.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000"}).status_code == 404
    assert api.get(f"/api/v1/task/{task_id}", headers=other.headers).status_code == 404
    for url in result["downloads"].values():
        assert api.get(url, headers=other.headers).status_code == 404
        assert api.get(url, headers=user.headers).status_code == 200


@pytest.mark.parametrize("name", [
    "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..", "20250101_000000_00000000.png",
    "20250101_000000_0000000g.png", "x.png"])
def test_download_names_that_are_not_your_results_are_404(api, user, name):
    response = api.get(f"/api/v1/download/{name}", headers=user.headers)
    assert response.status_code == 404, response.text


def test_an_uploads_own_file_is_not_a_download(api, user):
    upload_id = uploaded(api, user, shaded_surface(60, 80))
    assert api.get(f"/api/v1/download/{upload_id}.png", headers=user.headers).status_code == 404


def test_a_task_id_of_another_kind_or_shape_is_404(api, user):
    assert api.get("/api/v1/task/not-a-uuid", headers=user.headers).status_code == 404
    assert api.get("/api/v1/task/00000000-0000-0000-0000-000000000000",
                   headers=user.headers).status_code == 404


@pytest.fixture
def strict_gateway(stack):
    """A second gateway with the seed's 5 async transfers a minute."""
    with gateway_with_default(stack, "RATE_LIMIT_COLOR_ASYNC") as url:
        yield url


def test_sixth_async_transfer_in_a_minute_is_429(api, user, strict_gateway):
    upload_id = uploaded(api, user, shaded_surface(60, 80))
    with httpx.Client(base_url=strict_gateway, timeout=60) as client:
        codes = [client.post("/api/v1/process/async", headers=user.headers, json={
            "job_id": upload_id, "target_ral_code": "RAL 3000"}).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]


# --- retention ----------------------------------------------------------------------------

def test_the_cleanup_removes_expired_files_and_the_task_says_so(api, user):
    upload_id = uploaded(api, user, shaded_surface(120, 160))
    task_id = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 7016"}).json()["task_id"]
    result = poll(api, user, task_id)[0]["result"]
    assert result["files_removed_at"] is None and result["expires_at"]
    kept_pixels = _upload_row(upload_id).pixels_path
    assert kept_pixels and stored_path(kept_pixels).is_file()
    with session_scope() as session:
        session.execute(update(ColorImage).where(ColorImage.public_id.in_(
            [upload_id, result["result_job_id"]])).values(expires_at=utcnow()
                                                           - timedelta(minutes=1)))
    assert remove_expired_images() >= 2
    assert not stored_path(kept_pixels).exists()

    status = api.get(f"/api/v1/task/{task_id}", headers=user.headers).json()
    assert status["state"] == "SUCCESS" and status["result"]["files_removed_at"]
    gone = api.get(result["downloads"]["result"], headers=user.headers)
    assert gone.status_code == 404 and "kept 24 hours" in gone.json()["detail"]
    again = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 3000"})
    assert again.status_code == 404 and "removed" in again.json()["detail"]
    with session_scope() as session:
        events = session.scalars(select(JobEvent.event_type).where(
            JobEvent.job_id == job_id_of(task_id))).all()
    assert "files_removed" in events


# --- long poll: GET /api/v1/task/{id}?wait_seconds=N ---------------------------------------

@pytest.fixture
def job_service(stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.jobs_url, timeout=60,
                      headers={"X-Service-Token": TEST_ENV["SERVICE_TOKEN"]}) as client:
        yield client


def _idle_task(api: httpx.Client, job_service: httpx.Client, user: User) -> dict[str, Any]:
    """A colour task of `user` that no worker will run (created, never started)."""
    user_id = api.get("/api/v1/auth/me", headers=user.headers).json()["id"]
    response = job_service.post("/internal/jobs", json={
        "user_id": user_id, "kind": "color_transfer", "units": 1})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _long_poll(api: httpx.Client, user: User, task_id: str, seconds: float,
               **request: Any) -> httpx.Response:
    return api.get(f"/api/v1/task/{task_id}", headers=user.headers,
                   params={"wait_seconds": seconds}, **request)


def test_a_long_poll_gives_the_finished_transfer_in_one_answer(api, user):
    upload_id = uploaded(api, user, shaded_surface(540, 960))
    task_id = api.post("/api/v1/process/async", headers=user.headers, json={
        "job_id": upload_id, "target_ral_code": "RAL 5015"}).json()["task_id"]
    body = _long_poll(api, user, task_id, 30).json()
    assert body["state"] == "SUCCESS" and body["progress"] == 100, body
    assert body["result"]["ral_info"]["code"] == "RAL 5015"
    assert body["result"]["qc_report"]["passed"] is True


def test_a_long_poll_answers_when_the_task_ends_not_when_the_wait_does(api, user,
                                                                        job_service):
    task = _idle_task(api, job_service, user)
    answers: list[dict[str, Any]] = []
    # Waits up to 25 s but the client gives up after 10: only an early answer counts.
    waiting = threading.Thread(target=lambda: answers.append(
        _long_poll(api, user, task["uuid"], 25, timeout=10).json()))
    waiting.start()
    time.sleep(0.5)  # let the wait begin (were it late, it would see the ended task at once)
    cancelled = api.post(f"/api/v1/jobs/{task['id']}/cancel", headers=user.headers)
    assert cancelled.status_code == 200, cancelled.text
    waiting.join(timeout=60)
    assert answers and answers[0]["state"] == "REVOKED", answers


def test_a_long_poll_on_a_task_that_does_not_end_gives_its_state_after_the_wait(
        api, user, job_service):
    task = _idle_task(api, job_service, user)
    started = time.monotonic()
    response = _long_poll(api, user, task["uuid"], 0.4)
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200 and response.json()["state"] == "PENDING"


def test_bad_long_polls_are_refused(api, user, job_service):
    task = _idle_task(api, job_service, user)
    for seconds in (-1, 31, "soon"):
        response = _long_poll(api, user, task["uuid"], seconds)  # type: ignore[arg-type]
        assert response.status_code == 422, response.text
        assert "wait_seconds" in response.text
    other = register_and_login(api, prefix="intruder")
    assert _long_poll(api, other, task["uuid"], 25).status_code == 404
