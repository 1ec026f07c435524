"""Receipts API v3 (seed 002) over HTTP: the envelope at every step, the worker's steps,
the saved receipt, cancel, credits, and every error code the seed lists."""

import io
import json
import time
from typing import Any

import httpx
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from shared.auth.tokens import issue_access_token
from shared.settings import Settings
from tests.support.api import User, balance, register_and_login
from tests.support.db import job_id_of, ledger_for_job, receipt_of
from tests.support.receipts import make_receipt
from tests.support.stack import gateway_with_default

V3 = "/api/v3/receipts"


@pytest.fixture
def user(api: httpx.Client) -> User:
    return register_and_login(api, prefix="receipt")


def submit(api: httpx.Client, user: User, content: bytes, *, name: str = "receipt.jpg",
           content_type: str | None = "image/jpeg") -> httpx.Response:
    file = (name, content, content_type) if content_type else (name, content)
    return api.post(f"{V3}/process", headers=user.headers, files={"file": file})


def assert_envelope(response: httpx.Response, status: int) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == status, response.text
    assert set(body) == {"status_code", "message", "data"}, body
    assert body["status_code"] == status and body["message"]
    return body["data"]


def poll(api: httpx.Client, user: User, job_id: str, *, until: set[str],
         timeout: float = 120) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = assert_envelope(api.get(f"{V3}/status/{job_id}", headers=user.headers), 200)
        seen.append(data)
        if data["status"] in until:
            return data, seen
        time.sleep(0.05)
    raise AssertionError(f"{job_id} never reached {until}; last {seen[-1]}")


def png_bytes(size: tuple[int, int] = (400, 300), color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_receipt_flow_envelope_steps_and_saved_receipt(api, user):
    receipt = make_receipt(1)
    response = submit(api, user, receipt.image, name="paragon.jpg")
    data = assert_envelope(response, 202)
    assert data["status"] == "PENDING" and data["filename"] == "paragon.jpg"
    assert data["file_size"] == len(receipt.image) and data["submitted_at"]

    final, seen = poll(api, user, data["job_id"], until={"SUCCESS", "FAILURE"})
    assert final["status"] == "SUCCESS", final
    assert final["progress"] == 100 and final["step"] == "DONE"
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress), "progress never moves back"
    assert {s["status"] for s in seen} <= {"PENDING", "STARTED", "PROGRESS", "SUCCESS"}
    for snapshot in seen:
        assert {"job_id", "status", "step", "progress", "message", "filename",
                "timestamp"} <= set(snapshot)

    result = final["result"]
    assert result["total"]["value"] == receipt.expected["total"]
    assert result["date"]["value"] == receipt.expected["date"]
    assert result["ocr"]["mean_confidence"] > 0 and result["ocr"]["text"]
    job_id = job_id_of(data["job_id"])
    saved = receipt_of(job_id)
    assert saved is not None and saved.id == result["receipt_id"]
    assert str(saved.total) == receipt.expected["total"]
    assert balance(api, user)["balance"] == 99, "one receipt costs one credit"
    assert ledger_for_job(job_id) == [("reserve", 1), ("charge", 1), ("release", 0)]


def test_a_poll_shows_the_step_it_is_at(api, user):
    """Every status the seed's steps pass through carries its step and message."""
    data = assert_envelope(submit(api, user, make_receipt(2).image), 202)
    _final, seen = poll(api, user, data["job_id"], until={"SUCCESS", "FAILURE"})
    running = [s for s in seen if s["status"] == "PROGRESS"]
    assert running, "no poll caught the receipt while it was being read"
    for snapshot in running:
        assert snapshot["step"] in {"INITIALIZATION", "VALIDATION", "OCR", "OCR_QUALITY",
                                    "ANALYSIS", "DATA_VALIDATION", "SAVE"}, running
        assert snapshot["message"]


def test_image_without_text_fails_with_a_readable_422_class_error(api, user):
    data = assert_envelope(submit(api, user, png_bytes(), name="blank.png",
                                  content_type="image/png"), 202)
    final, _ = poll(api, user, data["job_id"], until={"SUCCESS", "FAILURE"})
    assert final["status"] == "FAILURE"
    assert final["error_type"] == "PROCESSING_FAILED" and final["error"]
    assert final["retryable"] is False
    assert balance(api, user)["balance"] == 100, "a failed receipt costs nothing"


def test_wrong_type_is_400_by_content_not_name(api, user):
    response = submit(api, user, b"%PDF-1.7 not an image at all", name="receipt.jpg")
    data = assert_envelope(response, 400)
    assert data["error_type"] == "INPUT_INVALID"
    assert balance(api, user)["balance"] == 100


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_photo_is_400_at_upload_and_reserves_nothing(api, user, fmt):
    """Its header is fine; its data stops halfway. Refused at once, no job, no credit."""
    out = io.BytesIO()
    Image.open(io.BytesIO(make_receipt(5).image)).save(out, fmt)
    cut = out.getvalue()[: len(out.getvalue()) // 2]
    response = submit(api, user, cut, name=f"cut.{fmt.lower()}", content_type=None)
    data = assert_envelope(response, 400)
    assert data["error_type"] == "INPUT_INVALID" and data["retryable"] is False
    message = response.json()["message"]
    assert f"The {fmt} image could not be decoded" in message and "truncated" in message
    credits = balance(api, user)
    assert (credits["balance"], credits["reserved"]) == (100, 0)
    assert [entry["entry_type"] for entry in credits["ledger"]] == ["signup"]
    assert api.get("/api/v1/jobs", headers=user.headers).json()["total"] == 0


def test_missing_file_and_missing_content_type(api, user):
    data = assert_envelope(api.post(f"{V3}/process", headers=user.headers,
                                    data={"user_id": "1"}), 400)
    assert data["error_type"] == "INPUT_INVALID"
    # No content type on the part: the bytes decide, and these bytes are a PNG.
    ok = submit(api, user, png_bytes(), name="noname", content_type=None)
    assert_envelope(ok, 202)


def test_over_10_mb_is_413(api, user):
    # Just past the limit (counted as the file is stored), and far past it (refused from
    # the declared length): both state the limit as the docs do.
    for size in (10 * 1024 * 1024 + 1, 11 * 1024 * 1024):
        response = submit(api, user, b"\xff\xd8\xff\xe0" + b"0" * size)
        data = assert_envelope(response, 413)
        assert data["error_type"] == "INPUT_TOO_LARGE"
        assert response.json()["message"] == "the file is larger than 10 MB"


def test_decompression_bomb_is_refused(api, user):
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 MP in ~20 kB
    response = submit(api, user, out.getvalue(), name="bomb.png", content_type="image/png")
    data = assert_envelope(response, 413)
    assert data["error_type"] == "INPUT_TOO_LARGE"
    assert "pixels" in response.json()["message"]


def test_unknown_or_foreign_job_is_404_envelope(api, user):
    other = register_and_login(api, prefix="other")
    data = assert_envelope(submit(api, other, make_receipt(3).image), 202)
    assert_envelope(api.get(f"{V3}/status/{data['job_id']}", headers=user.headers), 404)
    assert_envelope(api.delete(f"{V3}/cancel/{data['job_id']}", headers=user.headers), 404)
    assert_envelope(api.get(f"{V3}/status/not-a-job", headers=user.headers), 404)


def test_no_token_is_401_envelope(api):
    assert_envelope(api.get(f"{V3}/status/whatever"), 401)


def test_cancel_refunds_and_a_finished_job_cannot_be_cancelled(api, user):
    data = assert_envelope(submit(api, user, make_receipt(4).image), 202)
    cancelled = assert_envelope(api.delete(f"{V3}/cancel/{data['job_id']}",
                                           headers=user.headers), 200)
    assert cancelled["job_id"] == data["job_id"] and cancelled["cancelled_at"]
    final, _ = poll(api, user, data["job_id"], until={"REVOKED", "SUCCESS", "FAILURE"})
    assert final["status"] == "REVOKED"
    assert balance(api, user)["balance"] == 100
    again = api.delete(f"{V3}/cancel/{data['job_id']}", headers=user.headers)
    assert assert_envelope(again, 400)["error_type"] == "INVALID_STATE"
    # v3's words: the job is REVOKED, a word a v3 client knows ("cancelled" is v1's).
    assert again.json()["message"] == "Cannot cancel job with status: REVOKED"


def test_health_measures_the_workers(api, user):
    data = assert_envelope(api.get(f"{V3}/health", headers=user.headers), 200)
    assert data["status"] == "healthy"
    assert data["workers_available"] is True and data["tasks_registered"] is True
    assert data["workers"] and all(name.startswith("worker-ocr") for name in data["workers"])
    assert isinstance(data["active_receipt_tasks"], int)


@pytest.fixture
def strict_gateway(stack):
    """A second gateway with the seed's 10 receipts a minute."""
    with gateway_with_default(stack, "RATE_LIMIT_RECEIPTS") as url:
        yield url


def test_eleventh_receipt_in_a_minute_is_429(api, user, strict_gateway):
    with httpx.Client(base_url=strict_gateway, timeout=60) as client:
        codes = [submit(client, user, png_bytes(), name="r.png", content_type="image/png")
                 for _ in range(11)]
    assert [r.status_code for r in codes[:10]] == [202] * 10
    data = assert_envelope(codes[10], 429)
    assert data["error_type"] == "RATE_LIMITED"
    assert int(codes[10].headers["Retry-After"]) >= 1


def _ws_url(stack, user: User) -> str:
    token = user.headers["Authorization"].split(" ", 1)[1]
    return stack.gateway_url.replace("http://", "ws://") + f"/ws?token={token}"


def _messages_until(socket, *, job_id: str, event_type: str, timeout: float = 120
                    ) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = json.loads(socket.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        received.append(message)
        if message["event_type"] == event_type and message["data"]["task_id"] == job_id:
            return received
    raise AssertionError(f"no {event_type} for {job_id}; got {received}")


def test_websocket_pushes_to_the_owner_only(api, stack, user):
    other = register_and_login(api, prefix="watcher")
    with connect(_ws_url(stack, user)) as mine, connect(_ws_url(stack, other)) as theirs:
        time.sleep(0.5)  # both sockets are following the feed before the job exists
        receipt = make_receipt(5)
        job_id = assert_envelope(submit(api, user, receipt.image), 202)["job_id"]
        received = _messages_until(mine, job_id=job_id, event_type="receipt_processed")
        processed = received[-1]["data"]
        assert processed["status"] == "SUCCESS"
        assert processed["receipt"]["total"]["value"] == receipt.expected["total"]
        steps = [m["data"]["step"] for m in received if m["event_type"] == "receipt_progress"]
        # Every step of the seed, in order, though the short ones share a commit.
        assert steps == ["INITIALIZATION", "VALIDATION", "OCR", "OCR_QUALITY", "ANALYSIS",
                         "DATA_VALIDATION", "SAVE"]
        with pytest.raises(TimeoutError):
            theirs.recv(timeout=1.0)


def test_websocket_refuses_a_missing_or_bad_token(stack):
    url = stack.gateway_url.replace("http://", "ws://") + "/ws"
    for bad in (url, url + "?token=not-a-jwt"):
        with pytest.raises(InvalidStatus) as refused:
            connect(bad).close()
        assert refused.value.response.status_code == 403


def _turned(image: bytes, *, degrees: int, exif_orientation: int | None = None) -> bytes:
    """The photo turned clockwise by `degrees` with no tag; or stored sideways (90
    degrees anticlockwise) with an EXIF tag that undoes it."""
    photo = Image.open(io.BytesIO(image)).convert("RGB")
    out = io.BytesIO()
    if exif_orientation is None:
        photo.rotate(-degrees, expand=True).save(out, "PNG")
    else:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        photo.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", quality=92, exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(("degrees", "exif_orientation", "turn_applied"),
                         [(90, None, 270), (180, None, 180), (270, None, 90), (0, 6, 0)])
def test_a_turned_photo_is_read_upright(api, user, degrees, exif_orientation, turn_applied):
    receipt = make_receipt(6)
    photo = _turned(receipt.image, degrees=degrees, exif_orientation=exif_orientation)
    data = assert_envelope(submit(api, user, photo), 202)
    final, _ = poll(api, user, data["job_id"], until={"SUCCESS", "FAILURE"})
    assert final["status"] == "SUCCESS", final
    assert final["result"]["total"]["value"] == receipt.expected["total"]
    assert final["result"]["merchant"]["value"] == receipt.expected["merchant"]
    assert final["result"]["ocr"]["mean_confidence"] > 75
    # EXIF orientation is applied at decoding; the reader reports its own turn on top.
    assert final["result"]["ocr"]["turned_degrees"] == turn_applied


def test_cancel_mid_run_stops_before_the_receipt_is_saved(api, user):
    data = assert_envelope(submit(api, user, make_receipt(7).image), 202)
    running, _ = poll(api, user, data["job_id"], until={"PROGRESS", "SUCCESS"})
    assert running["status"] == "PROGRESS", "the worker had not started reading yet"
    cancelled = api.delete(f"{V3}/cancel/{data['job_id']}", headers=user.headers)
    assert_envelope(cancelled, 200)
    final, _ = poll(api, user, data["job_id"], until={"REVOKED", "SUCCESS", "FAILURE"})
    assert final["status"] == "REVOKED"
    time.sleep(2.0)  # the worker finishes its Tesseract run, then sees the flag
    job_id = job_id_of(data["job_id"])
    assert receipt_of(job_id) is None, "a cancelled receipt is never saved"
    assert poll(api, user, data["job_id"], until={"REVOKED"})[0]["status"] == "REVOKED"
    assert balance(api, user)["balance"] == 100
    assert ledger_for_job(job_id) == [("reserve", 1), ("release", 1)]


def test_idempotency_key_returns_the_same_receipt_job_once(api, user):
    image = make_receipt(9).image
    headers = {**user.headers, "Idempotency-Key": "receipt-1"}
    first = api.post(f"{V3}/process", headers=headers, files={"file": ("r.png", image)})
    again = api.post(f"{V3}/process", headers=headers, files={"file": ("r.png", image)})
    assert assert_envelope(first, 202)["job_id"] == assert_envelope(again, 202)["job_id"]
    other = api.post(f"{V3}/process", headers=headers,
                     files={"file": ("r.png", make_receipt(10).image)})
    assert assert_envelope(other, 409)["error_type"] == "IDEMPOTENCY_CONFLICT"
    job_id = job_id_of(first.json()["data"]["job_id"])
    assert [entry for entry in ledger_for_job(job_id) if entry[0] == "reserve"] == [
        ("reserve", 1)], "reserved once"
    assert api.get("/api/v1/jobs", headers=user.headers).json()["total"] == 1


def test_websocket_closes_when_its_token_expires(stack, user):
    settings = Settings().model_copy(update={"access_token_expire_seconds": 2})
    token = issue_access_token(settings, user_id=user.id).access_token
    url = stack.gateway_url.replace("http://", "ws://") + f"/ws?token={token}"
    with connect(url) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=30)  # no event comes; the server closes at the token's expiry
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert "expired" in closed.value.rcvd.reason
