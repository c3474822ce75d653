"""Start the service under uvicorn with the options every start path must share.

`python -m handover.server --host 0.0.0.0 --port 8000 [--workers N]` is what `make run`, the
images and the benchmarks run; the tests' in-process server takes :func:`uvicorn_options`, so a
websocket limit or timeout is the same however the service was started.

Choices, measured in bench/ (docs/performance.md):
- no permessage-deflate: chat frames are small; a deflate context per socket cost ~40 KiB of
  memory and CPU on every frame;
- frames up to 4 x MAX_FRAME_BYTES reach the app, which answers an oversized one with an
  ``error`` event and keeps the socket; anything larger is refused by the server (close 1009)
  before it is buffered whole;
- uvicorn's own websocket pings stay on (dead peers are noticed); the app's JSON heartbeats
  keep proxies from closing idle sockets.
"""

from __future__ import annotations

import argparse
from typing import Any

from .observability import configure_logging
from .settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "ws": settings.ws_implementation,
        "ws_max_size": 4 * settings.max_frame_bytes,
        "ws_per_message_deflate": False,
        "ws_ping_interval": settings.heartbeat_seconds,
        "ws_ping_timeout": settings.heartbeat_seconds,
        # Idle keep-alive HTTP connections and slow request headers do not stay open for long.
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
    }


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m handover.server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="processes on one port (they share SQL and Redis)")
    parser.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-* from FORWARDED_ALLOW_IPS")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings)  # LOG_FORMAT=json|text; the app factory does the same in each worker
    uvicorn.run(
        "handover.main:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=args.proxy_headers,
        log_level=args.log_level,
        log_config=None,
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
