"""What the OpenAPI says about errors: the error documents as models, and `errors()` for
the `responses` of a route or a router, so that every operation declares each status it
can answer with, in the shape `services.gateway.errors` renders it."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import ErrorCode


class ErrorResponse(BaseModel):
    """Every v1 error. Some add fields: `retry_after_seconds` (429), `required_credits`
    and `available_credits` (402), `job_id` and `status_url` (504)."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[dict[str, Any]] = Field(
        description="what went wrong, in words; for a 422, FastAPI's list of invalid fields")
    error_type: str = Field(description="a stable code: " + ", ".join(c.name for c in ErrorCode))
    retryable: bool = Field(description="whether the same request may succeed later")


class V3ErrorData(BaseModel):
    model_config = ConfigDict(extra="allow")

    error_type: str = Field(description="a stable code, as in v1")
    retryable: bool


class V3ErrorResponse(BaseModel):
    """Every v3 error, in the envelope (seed 002)."""

    status_code: int
    message: str
    data: V3ErrorData


# status -> (description, the code a typical answer carries, its message)
_STATUSES: dict[int, tuple[str, ErrorCode, str]] = {
    400: ("The request is invalid: a bad value, a file of the wrong kind, a job in the wrong "
          "state.", ErrorCode.INVALID_STATE, "Only pending jobs can be started."),
    401: ("No bearer token, or one that is invalid or expired.", ErrorCode.UNAUTHORIZED,
          "Not authenticated"),
    402: ("Not enough credits for the job.", ErrorCode.INSUFFICIENT_CREDITS,
          "12 credits are needed; 5 are available"),
    403: ("Not allowed for this account.", ErrorCode.FORBIDDEN, "administrators only"),
    404: ("Not found, or not yours.", ErrorCode.NOT_FOUND, "Job not found"),
    409: ("Conflicts with the resource's state or an earlier request with the same "
          "Idempotency-Key.", ErrorCode.CONFLICT,
          "pdf_file is not the file confirmed for job 42"),
    413: ("The upload is larger than the limit.", ErrorCode.INPUT_TOO_LARGE,
          "the file is larger than 10 MB"),
    415: ("The file is not of a supported type.", ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "the file is not a PDF"),
    422: ("A field is missing or invalid (the list is in `detail`); or the job failed to "
          "process.", ErrorCode.INPUT_INVALID, "see detail"),
    429: ("Rate limited: wait `Retry-After` seconds.", ErrorCode.RATE_LIMITED,
          "Rate limit exceeded: 10 per 1 minute; retry in 31 s"),
    500: ("A bug on our side; the request may be retried.", ErrorCode.INTERNAL,
          "internal error; try again"),
    503: ("A service behind the gateway is unavailable; retry shortly.",
          ErrorCode.UPSTREAM_UNAVAILABLE, "the job service is unavailable; try again shortly"),
    504: ("The job is still processing; follow it at `status_url`.", ErrorCode.TIMEOUT,
          "job 42 is still processing; follow it at GET /api/v1/jobs/42"),
}

# What any route behind a bearer token can answer, besides its own errors.
AUTHENTICATED = (401, 422, 500, 503)
V3_AUTHENTICATED = (400, 401, 500, 503)


def errors(*statuses: int, v3: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses, each with its schema and an example."""
    return {status: _response(status, v3=v3) for status in sorted(set(statuses))}


def _response(status: int, *, v3: bool) -> dict[str, Any]:
    description, code, message = _STATUSES[status]
    if status == 422 and not v3:
        example: dict[str, Any] = {
            "detail": [{"type": "missing", "loc": ["body", "name"], "msg": "Field required",
                        "input": {}}],
            "error_type": code.name, "retryable": code.retryable}
    else:
        example = {"detail": message, "error_type": code.name, "retryable": code.retryable}
    if v3:
        example = {"status_code": status, "message": message,
                   "data": {"error_type": code.name, "retryable": code.retryable}}
    return {"model": V3ErrorResponse if v3 else ErrorResponse, "description": description,
            "content": {"application/json": {"example": example}}}


def upload_example(**fields: Any) -> dict[str, Any]:
    """`openapi_extra=` giving a multipart upload's request an example: the file by its
    name, the form fields by value."""
    return {"requestBody": {"content": {"multipart/form-data": {"example": fields}}}}


def without_v3_validation_422(document: dict[str, Any]) -> dict[str, Any]:
    """v3 answers an invalid request with 400 in the envelope (seed 002), never with the
    422 FastAPI declares for every route that takes parameters."""
    for path, operations in document.get("paths", {}).items():
        if path.startswith("/api/v3/"):
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
    return document


def with_response_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Each JSON response that has no example of its own gets its model's first example,
    so that a reader (or a client generator) sees one beside every answer, not only in the
    schema section. The examples are the models' own: nothing is written twice."""
    schemas = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        for response in operation.get("responses", {}).values():
            media = response.get("content", {}).get("application/json")
            if media is None or "example" in media or "examples" in media:
                continue
            example = _first_example(media.get("schema", {}), schemas)
            if example is not None:
                media["example"] = example
    return document


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path in document.get("paths", {}).values()
            for operation in path.values() if isinstance(operation, dict)]


def _first_example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The first example of a schema, following a $ref; of a union (an answer shaped per
    kind), its first member's."""
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if schema.get("examples"):
        return schema["examples"][0]
    members = schema.get("anyOf") or schema.get("oneOf") or []
    return next((found for member in members
                 if (found := _first_example(member, schemas)) is not None), None)


def links(status: int, id_field: str, parameter: str,
          targets: dict[str, tuple[str, str]]) -> dict[int | str, dict[str, Any]]:
    """`responses=` entry declaring OpenAPI links from an answer that creates something to
    the operations on it (`targets`: link name -> (method, path)), its `id_field` passed as
    their `parameter`: a client, and schemathesis' stateful phase, can follow them."""
    return {status: {"links": {
        name: {"operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1")
                               + "/" + method,
               "parameters": {parameter: f"$response.body#/{id_field}"}}
        for name, (method, path) in targets.items()}}}
