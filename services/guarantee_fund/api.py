"""HTTP for the guarantee fund: payment runs (`/v1/payment-runs`, their SEPA file) and the
fund's ledger (`/v1/guarantee-fund`). Staff only: ops start runs and read the fund."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.guarantee_fund import projections, sepa
from services.guarantee_fund.domain.ledger import alerts
from services.guarantee_fund.domain.run import Run
from services.guarantee_fund.handlers import FundHandlers
from services.guarantee_fund.ids import invoice_id_of
from services.guarantee_fund.runs import PaymentRuns
from services.guarantee_fund.schemas import RunIn, RunOut
from shared.decider import NotFound
from shared.eventstore.projections import ProjectionRunner
from shared.http.auth import StaffDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.problems import ProblemError
from shared.parameters import cooperative
from shared.parameters_fund import fund_parameters_on
from shared.personal import ERASED


@dataclass(frozen=True)
class FundRuntime:
    handlers: FundHandlers
    views: ProjectionRunner
    runs: PaymentRuns
    pain_version: sepa.PainVersion


async def _runtime(request: Request) -> FundRuntime:
    found: FundRuntime = request.app.state.guarantee_fund
    return found


Runtime = Annotated[FundRuntime, Depends(_runtime)]
Limit = Annotated[WholeNumber, Query(ge=1, le=500)]

payment_runs = APIRouter(prefix="/v1/payment-runs", tags=["payment runs"])
guarantee_fund = APIRouter(prefix="/v1/guarantee-fund", tags=["guarantee fund"])


class RunNotFound(NotFound):
    code = "payment-run-not-found"


def _run(runtime: FundRuntime, run_id: str) -> Run:
    state = runtime.handlers.run(run_id).state
    if state.started is None:
        raise RunNotFound(f"no payment run {run_id}")
    return state


def run_body(runtime: FundRuntime, state: Run) -> dict[str, Any]:
    started, completed = state.started, state.completed
    if started is None:
        raise RunNotFound("no such payment run")
    salaries = []
    for salary_id in completed.salary_ids if completed else started.salary_ids:
        paid = runtime.handlers.payment(salary_id).state.paid
        if paid is None or paid.run_id != started.run_id:
            continue
        late = completed is not None and salary_id in completed.late_salary_ids
        salaries.append(paid.model_dump() | {"late": late})
    return {
        "run_id": started.run_id,
        "execution_date": started.execution_date,
        "status": "started" if completed is None else "completed",
        "trigger": started.trigger,
        "selected_count": len(started.salary_ids),
        "count": len(salaries),
        "control_sum_cents": sum(s["net_to_pay_cents"] for s in salaries),
        "late_salary_ids": list(completed.late_salary_ids) if completed else [],
        "salaries": salaries,
    }


@payment_runs.post(
    "", status_code=201, response_model=RunOut,
    responses={200: {"model": RunOut, "description": "Nothing new was due: the day's last run"}},
)  # fmt: skip
def start_payment_run(
    body: RunIn, staff: StaffDep, runtime: Runtime, response: Response
) -> dict[str, Any]:
    """Pays every salary due by the execution date (today, or TARGET2's next business day).
    Idempotent: when nothing new is due, the day's last run answers (200)."""
    outcome = runtime.runs.execute("ops")
    if outcome is None:  # pragma: no cover - execute(always=True) always answers a run
        raise ProblemError(500, "no-run", "No run", "no payment run could be started")
    if not outcome.created:
        response.status_code = 200
    return run_body(runtime, _run(runtime, outcome.run_id))


@payment_runs.get("")
def list_payment_runs(staff: StaffDep, runtime: Runtime) -> dict[str, Any]:
    with runtime.views.read() as conn:
        return {"items": projections.runs(conn)}


@payment_runs.get("/upcoming")
def upcoming_salaries(
    staff: StaffDep, runtime: Runtime, days: Annotated[WholeNumber, Query(ge=0, le=62)] = 7,
    limit: Limit = 100,
) -> dict[str, Any]:  # fmt: skip
    """The salaries due in the next `days` and who would fund them if paid now: the client's
    payment when the invoice is paid, otherwise the fund."""
    until = runtime.handlers.clock.today() + dt.timedelta(days=days)
    with runtime.views.read() as conn:
        rows = projections.upcoming_salaries(conn, until, limit)
    for row in rows:
        invoice = runtime.handlers.invoice(invoice_id_of(row["prestation_id"]))
        row["funded_by"] = "client_payment" if invoice and invoice.paid else "guarantee_fund"
    return {"until": until, "items": rows}


@payment_runs.get("/{run_id}", response_model=RunOut)
def get_payment_run(run_id: PathId, staff: StaffDep, runtime: Runtime) -> dict[str, Any]:
    return run_body(runtime, _run(runtime, run_id))


@payment_runs.get(
    "/{run_id}/sepa", response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The pain.001 file"}},
)  # fmt: skip
def get_payment_run_file(run_id: PathId, staff: StaffDep, runtime: Runtime) -> Response:
    """The run's SEPA credit-transfer file (pain.001.001.09 unless configured otherwise)."""
    loaded = runtime.handlers.run(run_id)
    state = _run(runtime, run_id)
    if state.completed is None:
        raise ProblemError(409, "payment-run-in-progress", "Run in progress",
                           f"payment run {run_id} is still paying; retry")  # fmt: skip
    transfers = []
    for salary in run_body(runtime, state)["salaries"]:
        payee = runtime.handlers.payee(salary["member_id"])
        if payee is None:
            raise ProblemError(409, "member-without-account", "No account",
                               f"member {salary['member_id']} has no IBAN")  # fmt: skip
        if ERASED in (payee.iban, payee.name):
            raise ProblemError(410, "payee-erased", "Payee erased",
                               f"member {salary['member_id']}'s personal data was erased: "
                               "this run's file can no longer be made")  # fmt: skip
        transfers.append(
            sepa.Transfer(
                salary["salary_id"],
                payee.name,
                payee.iban,
                payee.bic,
                salary["net_to_pay_cents"],
                f"Salaire prestation {salary['prestation_id']} (échéance {salary['deadline']})",
            )
        )
    if not transfers:
        raise ProblemError(409, "payment-run-empty", "Nothing paid",
                           f"payment run {run_id} paid no salary: there is no file")  # fmt: skip
    started = state.started
    if started is None:  # pragma: no cover - _run checked it
        raise RunNotFound(run_id)
    created_at = loaded.envelopes[-1].metadata.occurred_at  # the same file on every GET
    run_file = sepa.RunFile(run_id, created_at, started.execution_date, transfers)
    xml = sepa.build(run_file, cooperative(), runtime.pain_version)
    return Response(
        xml, media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{run_id}.xml"'},
    )  # fmt: skip


@guarantee_fund.get("")
def get_fund(staff: StaffDep, runtime: Runtime) -> dict[str, Any]:
    """The fund's ledger to the cent, its exposure per client and member, and its alerts."""
    today = runtime.handlers.clock.today()
    with runtime.views.read() as conn:
        figures = projections.ledger(conn)
        by_client = projections.exposure(conn, "client_id")
        by_member = projections.exposure(conn, "member_id")
        overdue = projections.overdue_salaries(conn, today)
    found = alerts(figures["balance_cents"], by_client, by_member, fund_parameters_on(today))
    alert_bodies = [vars(alert) for alert in found]
    alert_bodies += [
        {"code": "salary-overdue", "subject": row["salary_id"], "amount_cents": 0,
         "threshold_cents": 0} for row in overdue
    ]  # fmt: skip
    return figures | {
        "exposure": {"clients": by_client, "members": by_member},
        "alerts": alert_bodies,
        "as_of": today,
    }


@guarantee_fund.get("/history")
def get_fund_history(staff: StaffDep, runtime: Runtime, limit: Limit = 100) -> dict[str, Any]:
    with runtime.views.read() as conn:
        return {"items": projections.history(conn, limit)}


ROUTERS = (payment_runs, guarantee_fund)
