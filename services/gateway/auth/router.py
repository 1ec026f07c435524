"""Register, log in (JSON or the OAuth2 password form), and who am I."""

from fastapi import APIRouter, Request
from pydantic import ValidationError

from services.gateway.auth import service
from services.gateway.auth.schemas import Credentials, TokenOut, UserOut
from services.gateway.deps import SettingsDep, UserIdDep
from services.gateway.openapi import errors
from services.gateway.ratelimit import limited
from shared.db import in_transaction_thread
from shared.errors import ConveyorError, ErrorCode

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=errors(500, 503))

_LOGIN_BODY = {
    "requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Credentials"}},
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string", "description": "your email"},
                           "password": {"type": "string", "format": "password"}}},
            "example": {"username": "ada@example.com", "password": "correct horse battery"}},
    }, "required": True},
}


@router.post("/register", status_code=201, responses=errors(409, 422, 429))
@limited("rate_limit_auth")
async def register(request: Request, body: Credentials, settings: SettingsDep) -> UserOut:
    """Create an account; it starts with SIGNUP_CREDITS credits."""
    return await in_transaction_thread(service.register, settings, email=body.email,
                                       password=body.password)


@router.post("/login", openapi_extra=_LOGIN_BODY, responses=errors(401, 429))
@limited("rate_limit_auth")
async def login(request: Request, settings: SettingsDep) -> TokenOut:
    """Exchange email and password for a bearer token (JSON, or the OAuth2 form)."""
    credentials = await _read_credentials(request)
    # Argon2 verification is deliberately slow CPU work: off the event loop, with the read.
    return await in_transaction_thread(service.login, settings, email=credentials.email,
                                       password=credentials.password)


async def _read_credentials(request: Request) -> Credentials:
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            return Credentials.model_validate(await request.json())
        form = await request.form()
        return Credentials(email=str(form.get("username") or form.get("email") or ""),
                           password=str(form.get("password") or ""))
    except (ValidationError, ValueError) as exc:
        raise ConveyorError(ErrorCode.UNAUTHORIZED, "Incorrect email or password") from exc


@router.get("/me", responses=errors(401))
async def me(user_id: UserIdDep) -> UserOut:
    """The signed-in user and their credit balance."""
    return await in_transaction_thread(service.me, user_id)
