"""Open-banking sync: an account's booked credits from the GoCardless Bank Account Data API.

Off unless an account has ``bank_sync:``. The freelancer links their bank once on the
aggregator's side (a requisition: the bank's own consent screen, valid 90 days, or up to
180 where the bank allows it); this adapter then asks, with a fresh access token made
from the user secrets, for the requisition's accounts, the end-user agreement (to tell
when the consent expires) and each account's transactions since ``days`` ago. Only
booked credits become ``Credit`` values; pending ones come back booked later.

Standard library only (``urllib``), a timeout on every call, https unless the URL is a
loopback address (the tests' stand-in). Errors name the endpoint and the HTTP status,
never a secret or a token. The API (paths, fields) is the one documented by GoCardless:
``POST /api/v2/token/new/``, ``GET /api/v2/requisitions/{id}/``,
``GET /api/v2/agreements/enduser/{id}/``, ``GET /api/v2/accounts/{id}/transactions/``.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..domain.bank import Credit
from ..errors import BankSyncError


@dataclass(frozen=True, slots=True)
class Fetched:
    credits: tuple[Credit, ...]
    consent_expires: date | None
    status: str  # the requisition's status: "LN" is linked; "EX" expired; ...


class GoCardless:
    def __init__(self, url: str, secret_id: str, secret_key: str, *, timeout: float):
        self.url = url.rstrip("/")
        self._secret_id = secret_id
        self._secret_key = secret_key
        self.timeout = timeout
        self._access = ""

    def _call(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> Any:
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Accept": "application/json", "User-Agent": "freelance-assistant"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self._access:
            headers["Authorization"] = f"Bearer {self._access}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read(20 * 1024 * 1024) or b"null")
        except urllib.error.HTTPError as exc:
            what = {401: "the secrets or the token were refused", 403: "access denied (consent withdrawn?)",
                    404: "not found (wrong requisition id?)", 409: "the consent has expired: link the bank again",
                    429: "rate limited: too many requests today"}.get(exc.code, "refused")  # fmt: skip
            raise BankSyncError(f"bank sync: {method} {path}: HTTP {exc.code}, {what}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BankSyncError(f"bank sync: {self.url} cannot be reached: {reason}") from None
        except ValueError:
            raise BankSyncError(f"bank sync: {method} {path}: the answer is not JSON") from None

    def fetch(self, requisition: str, today: date, days: int) -> Fetched:
        token = self._call(
            "POST", "/api/v2/token/new/", {"secret_id": self._secret_id, "secret_key": self._secret_key}
        )
        self._access = str((token or {}).get("access", ""))
        if not self._access:
            raise BankSyncError("bank sync: no access token in the answer to /api/v2/token/new/")
        linked = self._call("GET", f"/api/v2/requisitions/{urllib.parse.quote(requisition)}/") or {}
        expires = None
        agreement = linked.get("agreement")
        if agreement:
            terms = (
                self._call("GET", f"/api/v2/agreements/enduser/{urllib.parse.quote(str(agreement))}/") or {}
            )
            start = terms.get("accepted") or terms.get("created")
            if start and terms.get("access_valid_for_days"):
                try:
                    accepted = datetime.fromisoformat(str(start).replace("Z", "+00:00")).date()
                    expires = accepted + timedelta(days=int(terms["access_valid_for_days"]))
                except (ValueError, TypeError):
                    expires = None
        credits: list[Credit] = []
        since = (today - timedelta(days=days)).isoformat()
        for account in linked.get("accounts") or []:
            answer = self._call(
                "GET",
                f"/api/v2/accounts/{urllib.parse.quote(str(account))}/transactions/",
                query={"date_from": since},
            )
            booked = ((answer or {}).get("transactions") or {}).get("booked") or []
            credits += [c for c in (_credit(str(account), t) for t in booked) if c is not None]
        return Fetched(tuple(credits), expires, str(linked.get("status", "")))


def _credit(account: str, row: dict) -> Credit | None:
    amount_field = row.get("transactionAmount") or {}
    try:
        amount = Decimal(str(amount_field.get("amount")))
        booked = date.fromisoformat(str(row.get("bookingDate") or row.get("valueDate"))[:10])
    except (InvalidOperation, ValueError):
        raise BankSyncError(
            f"bank sync: account {account}: a transaction without a readable amount or date"
        ) from None
    if amount <= 0:
        return None
    reference = (
        row.get("remittanceInformationUnstructured")
        or " ".join(row.get("remittanceInformationUnstructuredArray") or [])
        or row.get("remittanceInformationStructured")
        or ""
    )
    own = row.get("transactionId") or row.get("internalTransactionId") or row.get("entryReference")
    if not own:
        own = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:20]
    return Credit(
        transaction_id=f"gocardless:{account}/{own}", booked=booked, amount=amount,
        currency=str(amount_field.get("currency") or ""), name=str(row.get("debtorName") or ""),
        iban=str((row.get("debtorAccount") or {}).get("iban") or ""), remittance=str(reference),
        source="bank sync (GoCardless)",
    )  # fmt: skip
