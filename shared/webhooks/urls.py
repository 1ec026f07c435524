"""Which webhook URLs may be used: the crawler's address policy, checked when an endpoint
is registered and again at every connect (a name may resolve elsewhere later)."""

from urllib.parse import urlsplit

import httpx

from shared.address_policy import AddressPolicy, AddressRefused
from shared.errors import ConveyorError, ErrorCode
from shared.settings import Settings, get_settings


def address_policy(settings: Settings | None = None) -> AddressPolicy:
    """Public addresses only, unless WEBHOOK_ALLOW_PRIVATE (a receiver on this machine)."""
    settings = settings or get_settings()
    return AddressPolicy.allowing_everything() if settings.webhook_allow_private \
        else AddressPolicy()


def check_url(url: str) -> None:
    """Refuse (400) a URL the deliverer would not reach: not http(s), or a host that does
    not resolve or resolves to an address the policy refuses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConveyorError(ErrorCode.INPUT_INVALID, "the URL must be http:// or https://")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address_policy().resolve(parts.hostname, port)
    except AddressRefused as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID,
                            f"webhook URL refused: {exc} (set WEBHOOK_ALLOW_PRIVATE to "
                            "allow private addresses)") from exc
    except httpx.ConnectError as exc:
        raise ConveyorError(ErrorCode.INPUT_INVALID, f"webhook URL refused: {exc}") from exc
