"""A local stand-in for the GoCardless Bank Account Data API, on 127.0.0.1, for the sync tests.

It follows the documented endpoints and shapes: ``POST /api/v2/token/new/`` (secret_id
and secret_key -> access and refresh tokens), ``GET /api/v2/requisitions/{id}/`` (status,
agreement, accounts), ``GET /api/v2/agreements/enduser/{id}/`` (accepted,
access_valid_for_days) and ``GET /api/v2/accounts/{id}/transactions/?date_from=``
(``{"transactions": {"booked": [...], "pending": [...]}}``); a wrong secret or token is a
401, an unknown requisition a 404. It records every request for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SECRET_ID = "b7e1c2d3-secret-id"
SECRET_KEY = "s3cr3t-k3y-never-logged"
ACCESS = "access-token-1"


class Aggregator:
    def __init__(self, *, booked: list[dict], accepted: str = "2026-01-10T09:00:00Z", valid_days: int = 90):
        self.booked = booked
        self.accepted = accepted
        self.valid_days = valid_days
        self.requests: list[tuple[str, str]] = []
        self.status = "LN"
        aggregator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _answer(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                aggregator.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/api/v2/token/new/":
                    return self._answer(404, {"summary": "Not found"})
                if body.get("secret_id") != SECRET_ID or body.get("secret_key") != SECRET_KEY:
                    return self._answer(401, {"summary": "Authentication failed", "status_code": 401})
                return self._answer(
                    200,
                    {
                        "access": ACCESS,
                        "access_expires": 86400,
                        "refresh": "refresh-1",
                        "refresh_expires": 2592000,
                    },
                )

            def do_GET(self) -> None:
                url = urlparse(self.path)
                aggregator.requests.append(("GET", url.path))
                if self.headers.get("Authorization") != f"Bearer {ACCESS}":
                    return self._answer(401, {"summary": "Invalid token", "status_code": 401})
                if url.path == "/api/v2/requisitions/req-1/":
                    return self._answer(
                        200,
                        {"id": "req-1", "status": aggregator.status, "agreement": "agr-1",
                         "accounts": ["acc-1"], "institution_id": "SANDBOXFINANCE_SFIN0000"},
                    )  # fmt: skip
                if url.path == "/api/v2/agreements/enduser/agr-1/":
                    return self._answer(
                        200,
                        {"id": "agr-1", "created": aggregator.accepted, "accepted": aggregator.accepted,
                         "max_historical_days": 90, "access_valid_for_days": aggregator.valid_days},
                    )  # fmt: skip
                if url.path == "/api/v2/accounts/acc-1/transactions/":
                    since = parse_qs(url.query).get("date_from", [""])[0]
                    booked = [t for t in aggregator.booked if t["bookingDate"] >= since]
                    return self._answer(200, {"transactions": {"booked": booked, "pending": []}})
                return self._answer(404, {"summary": "Not found", "status_code": 404})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Aggregator:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
