"""`asmis api serve`: the app under uvicorn in the foreground, its logs one line per event."""

from __future__ import annotations

import logging

import uvicorn

from lib.api.app import create_app
from lib.settings import Settings


class OneLine(logging.Filter):
    """A library's traceback (asyncpg's pool while the database is away) becomes the exception's type
    on the same line: tracebacks can quote SQL or values, and a log line must not."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()}: {record.exc_info[0].__name__}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    handler.addFilter(OneLine())
    for name in ("asmis", "asyncpg"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)


def serve_api(settings: Settings, host: str, port: int) -> None:
    configure_logging()
    config = uvicorn.Config(create_app(settings), host=host, port=port, proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1", server_header=False, log_level="info")
    uvicorn.Server(config).run()
