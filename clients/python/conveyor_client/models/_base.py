"""The base of every answer model."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """An answer of the API. Fields the server adds later are kept (`extra="allow"`), so
    an older client reads a newer server's answers.

    `openapi_schema` names the component of the gateway's /openapi.json the model
    mirrors, `openapi_variants` the components of the kinds whose extra fields it also
    holds (a PDF job's Gemini usage); the SDK's tests check each against the live
    document.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    openapi_schema: ClassVar[str | None] = None
    openapi_variants: ClassVar[tuple[str, ...]] = ()
