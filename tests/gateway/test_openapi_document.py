"""The whole OpenAPI document as a client generator reads it: every answer and request
with an example, every error in the error schema, 401 wherever a token is needed, the
rate limits applied written where they apply, and v3 declaring its own 400, not 422."""

from functools import cache
from typing import Any

import pytest

from shared.db import MAX_ROW_ID

ERROR_SCHEMAS = {"ErrorResponse", "V3ErrorResponse"}


@cache
def app() -> Any:
    from services.gateway.main import create_app  # after the test settings are in place

    return create_app()


@cache
def document() -> dict[str, Any]:
    return app().openapi()  # type: ignore[no-any-return]


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, methods in document()["paths"].items()
            for method, operation in methods.items()]


def schema_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def test_every_json_answer_has_an_example() -> None:
    missing = [f"{method.upper()} {path} {status}"
               for method, path, operation in operations()
               for status, response in operation["responses"].items()
               if (media := response.get("content", {}).get("application/json")) is not None
               and "example" not in media and "examples" not in media]
    assert missing == []


def test_every_request_body_has_an_example() -> None:
    schemas = document()["components"]["schemas"]
    missing = []
    for method, path, operation in operations():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            model = schemas.get(schema_name(media.get("schema", {})) or "", {})
            if not ("example" in media or "examples" in media or model.get("examples")):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_error_answer_is_in_the_error_schema() -> None:
    own_shapes = {"NotReady", "Envelope_ReceiptHealth_"}  # readiness says why it is not
    wrong = []
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema_name(schema) not in ERROR_SCHEMAS | own_shapes:
                wrong.append(f"{method.upper()} {path} {status}: {schema}")
    assert wrong == []


def test_routes_behind_a_token_declare_401() -> None:
    missing = [f"{method.upper()} {path}" for method, path, operation in operations()
               if operation.get("security") and "401" not in operation["responses"]]
    assert missing == []


def test_v3_declares_400_for_invalid_requests_never_422() -> None:
    v3 = [(path, operation) for _, path, operation in operations()
          if path.startswith("/api/v3/")]
    assert v3 and all("422" not in op["responses"] for _, op in v3)
    assert all("400" in op["responses"] for _, op in v3 if op.get("security"))


def test_every_rate_limited_route_says_its_limit() -> None:
    from services.gateway.ratelimit import limiter

    limited = {name for name, limits in limiter._route_limits.items() if limits}
    assert limited, "no rate-limited routes found: the check would be empty"
    undocumented = []
    for route in app().routes:
        endpoint = getattr(route, "endpoint", None)
        name = f"{endpoint.__module__}.{endpoint.__name__}" if endpoint else ""
        if name in limited:
            for method in route.methods:
                operation = document()["paths"][route.path][method.lower()]
                if "Rate limit:" not in operation.get("description", ""):
                    undocumented.append(f"{method} {route.path}")
    assert undocumented == []


@pytest.mark.parametrize("path", ["/api/v1/jobs/{job_id}", "/api/v1/projects/{project_id}"])
def test_path_ids_are_bounded_to_what_the_database_holds(path: str) -> None:
    (parameter,) = [p for p in document()["paths"][path]["get"]["parameters"]
                    if p["in"] == "path"]
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, MAX_ROW_ID)


def test_every_parameter_has_an_example() -> None:
    missing = [f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
               for method, path, operation in operations()
               for parameter in operation.get("parameters", [])
               if not ({"example", "examples"} & parameter.keys()
                       or "examples" in parameter.get("schema", {}))]
    assert missing == []
