"""API v3's answer shape (seed 002): `{status_code, message, data}`, errors included."""

from typing import Any, Generic, TypeVar

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

T = TypeVar("T")
V3_PREFIX = "/api/v3"


class Envelope(BaseModel, Generic[T]):
    status_code: int
    message: str
    data: T


def enveloped(status_code: int, message: str, data: type[BaseModel]) -> dict[int | str, Any]:
    """`responses=` for a v3 success: the envelope with `data`'s own first example."""
    example = data.model_json_schema().get("examples", [None])[0]
    return {status_code: {"content": {"application/json": {"example": {
        "status_code": status_code, "message": message, "data": example}}}}}


def is_v3(path: str) -> bool:
    return path == V3_PREFIX or path.startswith(V3_PREFIX + "/")


def envelope_response(status_code: int, message: str, data: Any,
                      headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status_code": status_code, "message": message,
                         "data": jsonable_encoder(data)},
                        status_code=status_code, headers=headers)
