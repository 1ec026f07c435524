"""The SDK's contract with the server: errors of both API versions as one type, 429s
waited out with one Idempotency-Key, and models that mirror the live OpenAPI document."""

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conveyor_client import Conveyor, ConveyorConnectionError, ConveyorError, models
from conveyor_client.models import ApiModel
from tests.sdk.conftest import PASSWORD, new_email
from tests.support.receipts import make_receipt
from tests.support.stack import Stack, free_port, gateway_with_settings

RECEIPTS_PROCESS = "/api/v3/receipts/process"


def test_errors_of_both_api_versions_are_one_type(stack: Stack, conveyor: Conveyor) -> None:
    with Conveyor(stack.gateway_url, token="not-a-token") as stranger, \
            pytest.raises(ConveyorError) as refused:
        stranger.me()
    assert (refused.value.status, refused.value.error_type, refused.value.retryable) == (
        401, "UNAUTHORIZED", False)

    with pytest.raises(ConveyorError) as short:  # 500 images reserve 500 credits; 100 held
        conveyor.crawl.create(["cat"], engines=["bing"], max_images=500)
    assert (short.value.status, short.value.error_type) == (402, "INSUFFICIENT_CREDITS")
    assert short.value.detail and short.value.body["required_credits"] == 500

    with pytest.raises(ConveyorError) as missing:  # v3: the envelope's data names it
        conveyor.receipts.status("6f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f")
    assert (missing.value.status, missing.value.error_type) == (404, "NOT_FOUND")
    assert "status_code" in missing.value.body

    with pytest.raises(ConveyorError) as invalid:  # v1 422: the fields, listed
        conveyor.color.match(top_n=3)
    assert (invalid.value.status, invalid.value.error_type) == (422, "INPUT_INVALID")
    assert invalid.value.field_errors and "rgb" in invalid.value.detail


def test_an_unreachable_server_is_a_retryable_error_without_status() -> None:
    with Conveyor(f"http://127.0.0.1:{free_port()}", max_retries=1) as nowhere, \
            pytest.raises(ConveyorConnectionError) as unreachable:
        nowhere.me()
    error = unreachable.value
    assert isinstance(error, ConveyorError)
    assert (error.status, error.retryable, error.request_sent) == (None, True, False)


@pytest.fixture
def tight_gateway(stack: Stack) -> Iterator[str]:
    """A second gateway that takes one receipt every 3 seconds per user."""
    with gateway_with_settings(stack, RATE_LIMIT_RECEIPTS="1 per 3 seconds") as url:
        yield url


def test_a_rate_limited_submit_waits_retry_after_and_creates_one_job(
        tight_gateway: str) -> None:
    sent: list[tuple[str, int, str | None, float, str | None]] = []

    def record(response: httpx.Response) -> None:
        request = response.request
        sent.append((request.url.path, response.status_code,
                     request.headers.get("Idempotency-Key"), time.monotonic(),
                     response.headers.get("Retry-After")))

    hooks: dict[str, list[Any]] = {"response": [record]}
    with httpx.Client(timeout=60, event_hooks=hooks) as http, \
            Conveyor(tight_gateway, http_client=http) as client:
        client.register(email := new_email("limited"), PASSWORD)
        client.login(email, PASSWORD)
        receipt = make_receipt(3).image
        first = client.receipts.submit(receipt, filename="one.png")
        second = client.receipts.submit(receipt, filename="two.png")  # 429, then 202
        credits = client.credits()

    posts = [entry for entry in sent if entry[0] == RECEIPTS_PROCESS]
    assert [entry[1] for entry in posts] == [202, 429, 202], posts
    assert posts[1][2] == posts[2][2] != posts[0][2]  # one key per logical call
    retry_after = float(posts[1][4] or "nan")
    assert 1 <= retry_after <= 4 and posts[2][3] - posts[1][3] >= retry_after - 0.05
    assert first.job_id != second.job_id
    reserves = [entry for entry in credits.ledger if entry.entry_type == "reserve"]
    assert len(reserves) == 2 and credits.balance == 98  # one job each, reserved once


def test_a_retry_after_past_the_bound_is_raised_at_once(tight_gateway: str) -> None:
    with Conveyor(tight_gateway, max_retry_wait=0.5) as client:
        client.register(email := new_email("impatient"), PASSWORD)
        client.login(email, PASSWORD)
        client.receipts.submit(make_receipt(3).image, filename="one.png")
        started = time.monotonic()
        with pytest.raises(ConveyorError) as limited:
            client.receipts.submit(make_receipt(3).image, filename="two.png")
    assert (limited.value.status, limited.value.error_type) == (429, "RATE_LIMITED")
    assert limited.value.retryable and limited.value.retry_after
    assert time.monotonic() - started < 1.0


def _mirrored_models() -> list[type[ApiModel]]:
    found = [getattr(models, name) for name in models.__all__]
    return [m for m in found if isinstance(m, type) and issubclass(m, ApiModel)
            and m.openapi_schema]


def _field_names(model: type[ApiModel]) -> tuple[set[str], set[str]]:
    """Every field's wire name, and those without a default."""
    fields = model.model_fields
    names = {field.alias or name for name, field in fields.items()}
    return names, {field.alias or name for name, field in fields.items() if field.is_required()}


@pytest.mark.parametrize("model", _mirrored_models(), ids=lambda m: m.__name__)
def test_the_models_mirror_the_live_openapi_document(api: httpx.Client,
                                                      model: type[ApiModel]) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert model.openapi_schema in schemas, model.openapi_schema
    component = schemas[model.openapi_schema]
    documented = set(component["properties"])
    for variant in model.openapi_variants:
        documented |= set(schemas[variant]["properties"])
    names, required = _field_names(model)
    # Every field the server promises is read; the SDK demands none that it may leave
    # out, and models none that it does not document.
    assert set(component.get("required", [])) <= names
    assert required <= set(component.get("required", []))
    assert names <= documented, names - documented
    for example in component.get("examples", []):
        model.model_validate(_with_nulls(example, component, schemas))


def _with_nulls(example: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The example as the server sends it: the document's examples leave out null
    values (FastAPI writes it without them), its answers carry them."""
    schema = _resolved(schema, schemas)
    if isinstance(example, list) and "items" in schema:
        return [_with_nulls(item, schema["items"], schemas) for item in example]
    if not isinstance(example, dict) or "properties" not in schema:
        return example
    properties = schema["properties"]
    filled = {name: None for name in schema.get("required", [])
              if {"type": "null"} in properties[name].get("anyOf", [])}
    for name, value in example.items():
        filled[name] = _with_nulls(value, properties.get(name, {}), schemas)
    return filled


def _resolved(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """A reference's component; of a union, its first member that is not null (the one
    with the most fields: a PDF job's)."""
    branches = [b for b in schema.get("anyOf", [schema]) if b != {"type": "null"}]
    schema = branches[0] if branches else schema
    if "$ref" in schema:
        return dict(schemas[schema["$ref"].rsplit("/", 1)[-1]])
    return schema
