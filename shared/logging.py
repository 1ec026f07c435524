"""One logging setup for every process."""

import logging

from shared.settings import get_settings


def configure_logging(service: str) -> None:
    logging.basicConfig(level=get_settings().log_level.upper(),
                        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    # One line per internal HTTP call drowns the interesting lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
