"""The log context on every record, in both formats, the periodic tasks kept quiet, and
tokens in URLs kept out."""

import io
import json
import logging

from shared.logging import _ContextFilter, _formatter, _QuietRoutine, _RedactTokens, log_context


def _logger(log_format: str, *filters: logging.Filter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(_formatter("test", log_format))
    for log_filter in (_ContextFilter(), *filters):
        handler.addFilter(log_filter)
    logger = logging.getLogger(f"conveyor.test.{log_format}.{len(filters)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger, out


def test_json_lines_carry_what_is_known_of_the_context() -> None:
    logger, out = _logger("json")
    with log_context(request_id="r1", job_id=7):
        with log_context(chunk=2, attempt=1, user_id=None):  # None: not known, not written
            logger.info("chunk %s done", 2)
        logger.info("after")
    logger.info("outside")
    first, second, third = (json.loads(line) for line in out.getvalue().splitlines())
    assert first == {**first, "message": "chunk 2 done", "level": "INFO", "service": "test",
                     "request_id": "r1", "job_id": 7, "chunk": 2, "attempt": 1}
    assert "user_id" not in first and "chunk" not in second and second["job_id"] == 7
    assert "request_id" not in third and "context" not in third


def test_text_lines_name_the_context_after_the_logger() -> None:
    logger, out = _logger("text")
    with log_context(request_id="r2", job_id=8):
        logger.warning("slow")
    assert f"WARNING {logger.name} request_id=r2 job_id=8: slow" in out.getvalue()


def test_routine_lines_of_periodic_tasks_are_dropped_and_nothing_else() -> None:
    quiet = _QuietRoutine(["maintenance.relay_outbox"])
    logger, out = _logger("text", quiet)

    def celery_line(name: str, level: int, msg: str, args: object, **extra: object) -> None:
        record = logging.LogRecord(name, level, __file__, 1, msg, None, None)
        record.args = args  # type: ignore[assignment]
        record.__dict__.update(extra)
        logger.handle(record)

    relay = {"name": "maintenance.relay_outbox", "id": "1"}
    celery_line("celery.app.trace", logging.INFO, "Task %(name)s[%(id)s] succeeded", relay,
                data=relay)
    celery_line("celery.beat", logging.INFO, "Sending due task %s (%s)",
                ("relay-outbox", "maintenance.relay_outbox"))
    pdf = {"name": "pdf.process_chunk", "id": "2"}
    celery_line("celery.app.trace", logging.INFO, "Task %(name)s[%(id)s] succeeded", pdf,
                data=pdf)
    celery_line("celery.app.trace", logging.ERROR, "Task %(name)s[%(id)s] failed", relay,
                data=relay)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "pdf.process_chunk[2] succeeded" in lines[0] and "failed" in lines[1]


def test_a_token_in_a_logged_url_is_redacted() -> None:
    """Uvicorn logs each WebSocket with its query: the web app's /ws?token=<JWT>."""
    logger, out = _logger("text", _RedactTokens())
    logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", "/ws?token=eyJ.a-b.c_d")
    logger.info("GET /x?a=1&access_token=secret&b=2 ok")
    first, second = out.getvalue().splitlines()
    assert first.endswith('"WebSocket /ws?token=[redacted]" [accepted]'), first
    assert "eyJ" not in first
    assert second.endswith("GET /x?a=1&access_token=[redacted]&b=2 ok"), second
