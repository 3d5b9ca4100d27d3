"""``python -m sandbox --port 8700 [--host 127.0.0.1] [--state PATH]``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import display_host, make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=(
        "Serve local emulations of the Facebook Graph, X, YouTube and Mastodon "
        "APIs."))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700,
                        help="0 picks a free port")
    parser.add_argument("--state", default=None,
                        help="JSON file to load state from and save changes to")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.state)
    print(f"Sandbox listening on http://{display_host(args.host)}:"
          f"{server.server_port}", flush=True)

    def stop(_signum: int, _frame: object) -> None:
        # shutdown() blocks until serve_forever returns, so call it off-thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.app.faults.clear()
        server.server_close()
        server.app.state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
