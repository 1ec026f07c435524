"""The OpenAPI of the job, PDF and crawl routes and of the other routes that create jobs,
as a client generator reads it: typed answers (no bare objects), an example for every
request and answer, every error status the routes answer with, the rate limits in words,
and a callback_url on every route that queues a job."""

import importlib
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel

from services.gateway.settings import get_gateway_settings

JOB = "/api/v1/jobs/{job_id}"
PAGE_TASKS = "/api/v1/tasks/projects/{project_id}"
# (method, path) -> the statuses each route declares besides its router's (401, 422, 500,
# 503): the errors its service code and the job service can raise.
ROUTES: dict[tuple[str, str], set[int]] = {
    ("get", "/api/v1/jobs"): {400},
    ("post", "/api/v1/jobs"): {400, 402, 409, 413},  # 400: a refused callback_url,
    ("get", JOB): {404},
    ("get", JOB + "/progress"): {404},
    ("get", JOB + "/events"): {404},
    ("get", JOB + "/images"): {404},
    ("post", JOB + "/start"): {400, 404, 429},
    ("post", JOB + "/cancel"): {400, 404},
    ("post", JOB + "/finalize"): {400, 404},
    ("get", JOB + "/result"): {400, 404},
    ("post", "/api/v1/jobs/confirm"): {400, 402, 409, 413, 415},
    ("post", "/api/v1/process-pdf-async"): {400, 404, 409, 413, 429},
    ("post", "/api/v1/process-pdf"): {400, 402, 409, 413, 415, 504},
    ("post", "/api/v1/validation/job/{job_id}/"): {400, 404, 409, 413, 429},
    # The other kinds' job-creating routes (400 includes a refused callback_url).
    # 409: the Idempotency-Key was used with another request.
    ("post", "/api/v1/process/async"): {400, 402, 404, 409, 429},
    ("post", PAGE_TASKS + "/process-page/{page_id}"): {400, 402, 404, 409, 429},
    ("post", PAGE_TASKS + "/process-batch"): {400, 402, 404, 409, 429},
}
RATE_LIMITED = {
    ("post", JOB + "/start"): "RATE_LIMIT_JOB_START",
    ("post", "/api/v1/process-pdf-async"): "RATE_LIMIT_PDF_ASYNC",
    ("post", "/api/v1/validation/job/{job_id}/"): "RATE_LIMIT_VALIDATION",
    ("post", "/api/v1/process/async"): "RATE_LIMIT_COLOR_ASYNC",
    ("post", PAGE_TASKS + "/process-batch"): "RATE_LIMIT_PAGE_TASKS",
}
# Every route that creates a job which runs on after the answer takes a callback_url (a
# JSON field, or a form field beside an upload) and answers with its callback_secret. The
# sync routes (POST /process-pdf, /process/reinhard) answer with the result and take none.
CALLBACK_ROUTES = {
    ("post", "/api/v1/jobs"),
    ("post", "/api/v1/jobs/confirm"),
    ("post", "/api/v3/receipts/process"),
    ("post", "/api/v1/process/async"),
    ("post", PAGE_TASKS + "/process-page/{page_id}"),
    ("post", PAGE_TASKS + "/process-batch"),
    ("post", "/api/v1/validation/job/{job_id}/"),
}
# Every route that creates a job honours an Idempotency-Key: a client may resend any of
# them after an answer that got lost.
IDEMPOTENT_ROUTES = CALLBACK_ROUTES | {("post", "/api/v1/process-pdf"),
                                       ("post", "/api/v1/process/reinhard")}
ROUTE_IDS = [f"{method.upper()} {path}" for method, path in ROUTES]


@cache
def spec() -> dict[str, Any]:
    from services.gateway.main import create_app  # after the test settings are in place

    return create_app().openapi()


def operation(method: str, path: str) -> dict[str, Any]:
    return spec()["paths"][path][method]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return spec()["components"]["schemas"][ref.rsplit("/", 1)[1]]


def success(method: str, path: str) -> tuple[str, dict[str, Any]]:
    (status, response), = ((s, r) for s, r in operation(method, path)["responses"].items()
                            if s.startswith("2"))
    return status, response


def has_example(media: dict[str, Any]) -> bool:
    """On the media type, or on the schema: on each shape of a union."""
    if media.get("example") or media.get("examples"):
        return True
    schema = media.get("schema", {})
    return all(resolve(choice).get("examples") for choice in schema.get("anyOf", [schema]))


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
def test_answers_are_models_with_an_example(method: str, path: str) -> None:
    _status, response = success(method, path)
    assert response["content"], "no media type"
    for media_type, media in response["content"].items():
        assert has_example(media), f"{media_type} has no example"
        if media_type != "application/json":
            continue
        schema = media["schema"]
        choices = schema.get("anyOf", [schema])
        for choice in map(resolve, choices):
            assert choice.get("type") == "object" and choice.get("properties"), choice
            assert "additionalProperties" not in choice, choice


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
def test_every_request_has_examples(method: str, path: str) -> None:
    op = operation(method, path)
    for parameter in op.get("parameters", []):
        assert parameter.get("example") is not None or parameter.get("examples") or \
            parameter["schema"].get("examples"), parameter["name"]
    if "requestBody" not in op:
        return
    for media_type, media in op["requestBody"]["content"].items():
        if has_example(media):
            continue
        # A form: each field but the file itself has its example.
        fields = resolve(media["schema"])["properties"]
        missing = [name for name, field in fields.items()
                   if not field.get("examples") and field.get("format") != "binary"
                   and field.get("contentMediaType") != "application/octet-stream"]
        assert not missing, f"{media_type}: no examples for {missing}"


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=ROUTE_IDS)
def test_every_status_the_route_answers_is_declared(method: str, path: str) -> None:
    declared = {int(s) for s in operation(method, path)["responses"] if not s.startswith("2")}
    assert declared == ROUTES[(method, path)] | {401, 422, 500, 503}
    for status, response in operation(method, path)["responses"].items():
        if not status.startswith("2"):
            media = response["content"]["application/json"]
            assert media["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
            assert media["example"]["error_type"], status


@pytest.mark.parametrize(("method", "path"), RATE_LIMITED, ids=list(RATE_LIMITED.values()))
def test_rate_limited_routes_state_their_limit(method: str, path: str) -> None:
    setting = RATE_LIMITED[(method, path)]
    limit = getattr(get_gateway_settings(), setting.lower())
    description = operation(method, path)["description"]
    assert f"Rate limit: {limit}" in description and setting in description, description


def test_per_kind_documents_are_both_in_the_schema() -> None:
    """A client learns that a PDF job carries its model and a crawl job's progress its
    images, and that other kinds carry neither."""
    names = {
        JOB: {"PdfJobStatusDocument", "JobStatusDocument"},
        JOB + "/progress": {"CrawlJobProgressDocument", "JobProgressDocument"},
    }
    for path, expected in names.items():
        schema = success("get", path)[1]["content"]["application/json"]["schema"]
        assert {choice["$ref"].rsplit("/", 1)[1] for choice in schema["anyOf"]} == expected
    plain = spec()["components"]["schemas"]["JobStatusDocument"]["properties"]
    assert not {"model", "gemini_api_calls", "gemini_tokens_used"} & plain.keys()
    progress = spec()["components"]["schemas"]["JobProgressDocument"]["properties"]
    assert "downloaded_images" not in progress


@pytest.mark.parametrize("module", ["jobs", "crawl", "pdf"])
def test_the_examples_are_valid_answers(module: str) -> None:
    """Each model's example is what the model itself accepts: the docs cannot drift."""
    schemas = importlib.import_module(f"services.gateway.{module}.schemas")
    models = [value for value in vars(schemas).values() if isinstance(value, type)
              and issubclass(value, BaseModel) and value.__module__ == schemas.__name__]
    examples = [(model, example) for model in models
                for example in model.model_json_schema().get("examples", [])
                if "examples" in (model.model_config.get("json_schema_extra") or {})]
    assert examples
    for model, example in examples:
        assert model.model_validate(example).model_dump(mode="json") == example, model


def test_the_result_download_declares_json_and_text() -> None:
    content = success("get", JOB + "/result")[1]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/JobResult"}
    assert content["text/plain"]["schema"] == {"type": "string"}


def request_properties(op: dict[str, Any]) -> dict[str, Any]:
    """The fields of an operation's body, of every media type (an optional body's model
    included)."""
    properties: dict[str, Any] = {}
    for media in op.get("requestBody", {}).get("content", {}).values():
        schema = media["schema"]
        for choice in map(resolve, schema.get("anyOf", [schema])):
            properties.update(choice.get("properties", {}))
    return properties


def answer_properties(method: str, path: str) -> dict[str, Any]:
    """The fields of the success answer; of its `data` in a v3 envelope."""
    schema = resolve(success(method, path)[1]["content"]["application/json"]["schema"])
    if path.startswith("/api/v3/"):
        schema = resolve(schema["properties"]["data"])
    return schema["properties"]


def test_exactly_the_job_creating_routes_take_a_callback_url() -> None:
    taking = {(method, path) for path, operations in spec()["paths"].items()
              for method, op in operations.items() if "callback_url" in request_properties(op)}
    assert taking == CALLBACK_ROUTES


@pytest.mark.parametrize(("method", "path"), sorted(CALLBACK_ROUTES),
                         ids=[f"{m.upper()} {p}" for m, p in sorted(CALLBACK_ROUTES)])
def test_a_callback_route_documents_the_url_its_secret_and_the_refusal(method: str,
                                                                       path: str) -> None:
    op = operation(method, path)
    url = request_properties(op)["callback_url"]
    assert url["examples"] == ["https://example.com/hooks/conveyor"], url
    assert "signed webhooks" in url["description"]
    secret = answer_properties(method, path)["callback_secret"]
    assert secret["examples"][0].startswith("whsec_") and secret["description"]
    assert {"type": "null"} in secret["anyOf"]  # absent without a callback_url
    assert "400" in op["responses"], "a refused callback_url is a 400"
    assert "callback_url" in op["description"]


def test_exactly_the_job_creating_routes_take_an_idempotency_key() -> None:
    taking = {(method, path) for path, operations in spec()["paths"].items()
              for method, op in operations.items()
              if any(p["in"] == "header" and p["name"] == "Idempotency-Key"
                     for p in op.get("parameters", []))}
    assert taking == IDEMPOTENT_ROUTES
    for method, path in IDEMPOTENT_ROUTES:
        op = operation(method, path)
        (header,) = (p for p in op["parameters"] if p["name"] == "Idempotency-Key")
        assert not header.get("required") and header["schema"]["anyOf"][0]["maxLength"] == 255
        assert "409" in op["responses"], f"{method} {path}: the conflict is declared"


def test_the_callback_examples_are_valid() -> None:
    """The answers' examples (with a secret) round-trip; the requests' examples parse."""
    from services.gateway.color.schemas import AsyncTransferIn, TaskAccepted
    from services.gateway.crawl.schemas import (
        CRAWL_REQUEST_EXAMPLES,
        VALIDATION_REQUEST_EXAMPLES,
        CrawlJobIn,
        ValidationIn,
    )
    from services.gateway.pages.schemas import (
        PAGE_TASK_REQUEST_EXAMPLES,
        BatchIn,
        BatchQueued,
        PageQueued,
        PageTaskIn,
    )
    from services.gateway.receipts.schemas import ReceiptSubmitted

    answers: list[type[BaseModel]] = [ReceiptSubmitted, TaskAccepted, PageQueued, BatchQueued]
    for answer in answers:
        example, = answer.model_json_schema()["examples"]
        assert example["callback_secret"].startswith("whsec_"), answer
        assert answer.model_validate(example).model_dump(mode="json") == example, answer
    requests: list[tuple[type[BaseModel], list[Any]]] = [
        (AsyncTransferIn, AsyncTransferIn.model_json_schema()["examples"]),
        (BatchIn, BatchIn.model_json_schema()["examples"]),
        (PageTaskIn, [e["value"] for e in PAGE_TASK_REQUEST_EXAMPLES.values()]),
        (ValidationIn, [e["value"] for e in VALIDATION_REQUEST_EXAMPLES.values()]),
        (CrawlJobIn, [e["value"] for e in CRAWL_REQUEST_EXAMPLES.values()])]
    for model, examples in requests:
        parsed = [model.model_validate(example) for example in examples]
        assert any(getattr(p, "callback_url", None) for p in parsed), model
