"""`python -m bench.http_apps --port N`: the bare FastAPI baseline of `make bench-http`.

Served exactly as `services.embedded` serves the real app (`uvicorn.run`, one worker, the same
`log_config=None, access_log=False`), with handlers declared the same way (plain `def`, so
FastAPI runs them in its thread pool) and a body model shaped like `PrestationIn`. It does no
work of its own: what the real app adds on top of it is the cost of the project's code.
"""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

import uvicorn
from fastapi import FastAPI, Header
from pydantic import BaseModel


class BareDay(BaseModel):
    date: date
    hours: Decimal


class BareExpense(BaseModel):
    description: str
    amount_cents: int


class BarePrestation(BaseModel):
    member_id: str
    client_id: str
    description: str
    days: list[BareDay]
    amount_excl_vat_cents: int
    vat_rate: str
    expenses: list[BareExpense] = []
    withholding_rate: str


def create_app() -> FastAPI:
    app = FastAPI(title="bench: bare FastAPI")

    @app.get("/bare")
    def bare_get() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bare", status_code=201)
    def bare_post(
        body: BarePrestation, idempotency_key: str | None = Header(default=None)
    ) -> dict[str, object]:
        return {
            "member_id": body.member_id,
            "days": len(body.days),
            "amount_excl_vat_cents": body.amount_excl_vat_cents,
            "key": idempotency_key,
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_apps")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
