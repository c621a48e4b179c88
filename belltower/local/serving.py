"""An HTTP server on a background thread: the local API gateway, and the receivers of the tests
and benchmarks."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class BackgroundServer:
    """Serves `self._server` on a daemon thread between `start()` and `stop()` (or a `with`)."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread | None = None
    _thread_name = "http-server"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=self._thread_name, daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(2)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
