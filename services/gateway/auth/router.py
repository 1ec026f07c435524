"""Register, log in (JSON or the OAuth2 password form), and who am I."""

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from services.gateway.auth import service
from services.gateway.auth.schemas import Credentials, TokenOut, UserOut
from services.gateway.deps import SessionDep, SettingsDep, UserDep
from services.gateway.openapi import errors
from services.gateway.ratelimit import limited
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
def register(request: Request, body: Credentials, session: SessionDep,
             settings: SettingsDep) -> UserOut:
    """Create an account; it starts with SIGNUP_CREDITS credits."""
    return service.register(session, settings, email=body.email, password=body.password)


@router.post("/login", openapi_extra=_LOGIN_BODY, responses=errors(401, 429))
@limited("rate_limit_auth")
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Exchange email and password for a bearer token (JSON, or the OAuth2 form)."""
    credentials = await _read_credentials(request)
    # Argon2 verification is deliberately slow CPU work: keep it off the event loop.
    return await run_in_threadpool(service.login, session, settings, email=credentials.email,
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
def me(user: UserDep, session: SessionDep) -> UserOut:
    """The signed-in user and their credit balance."""
    return service.user_out(session, user)
