"""A private client's erasure request decider, given/when/then, by the state of the client's
erasure stream."""

from __future__ import annotations

import datetime as dt

from services.privacy.domain.client_erasure import (
    CarryOutClientErasure,
    ClientCommand,
    ClientErasure,
    ClientIsACompany,
    ClientKind,
    ClientNotFound,
    RequestClientErasure,
    client_erasure_decider,
    client_subjects,
)
from services.privacy.domain.erasure import (
    AlreadyErased,
    ErasureAlreadyRequested,
    NoErasureRequested,
    RetentionNotOver,
)
from services.privacy.domain.retention import Hold
from shared.decider import Spec
from shared.events.privacy import ClientErasureRequested, ClientPersonalDataErased, EndedHold

CLIENT = "c" * 32
TODAY = dt.date(2026, 3, 2)
ERASED_ON = dt.date(2037, 1, 1)
REQUESTED = ClientErasureRequested(
    request_id="r1", client_id=CLIENT, requested_by="ops", requested_on=TODAY
)
ERASED = ClientPersonalDataErased(
    request_id="r1",
    client_id=CLIENT,
    subjects=(f"client/{CLIENT}", "invoice/I1"),
    carried_out_on=ERASED_ON,
)


def spec() -> Spec[ClientCommand, ClientErasure]:
    return Spec(client_erasure_decider)


def request(kind: ClientKind | None = "private", request_id: str = "r1") -> RequestClientErasure:
    return RequestClientErasure(
        client_id=CLIENT, request_id=request_id, requested_by="ops", today=TODAY, kind=kind
    )


def hold(rule: str, ends_on: dt.date | None) -> Hold:
    return Hold(rule, rule, "Code TVA, art. 60, § 3", "invoice 2026-000001",  # type: ignore[arg-type]
                dt.date(2026, 3, 12), ends_on)  # fmt: skip


VAT = hold("vat_documents", dt.date(2036, 12, 31))
ACCOUNTING = hold("accounting_documents", dt.date(2036, 12, 31))
OPEN = hold("invoice_open", None)


def carry_out(
    today: dt.date, *holds: Hold, invoices: tuple[str, ...] = ("I1",),
    payments: tuple[str, ...] = (),
) -> CarryOutClientErasure:  # fmt: skip
    return CarryOutClientErasure(
        client_id=CLIENT, today=today, holds=holds, invoice_ids=invoices, payment_ids=payments
    )


class TestNoRequestYet:
    def test_a_private_client_requests_erasure(self) -> None:
        spec().given().when(request()).then(REQUESTED)

    def test_a_company_is_refused_naming_the_rule(self) -> None:
        error = spec().given().when(request(kind="company")).raises(ClientIsACompany)
        assert (error.status, error.code, error.field) == (422, "client-is-a-company", "client_id")
        assert "not personal data" in str(error)

    def test_an_unknown_client_is_not_found(self) -> None:
        error = spec().given().when(request(kind=None)).raises(ClientNotFound)
        assert (error.status, error.code) == (404, "client-not-found")

    def test_nothing_to_carry_out(self) -> None:
        spec().given().when(carry_out(TODAY)).raises(NoErasureRequested)


class TestPending:
    def test_a_second_request_is_refused_while_the_first_is_pending(self) -> None:
        error = (
            spec().given(REQUESTED).when(request(request_id="r2")).raises(ErasureAlreadyRequested)
        )
        assert "r1" in str(error) and error.status == 409

    def test_carried_out_once_every_hold_has_ended(self) -> None:
        spec().given(REQUESTED).when(carry_out(ERASED_ON, ACCOUNTING, VAT)).then(
            ERASED.model_copy(
                update={
                    "ended_holds": (
                        EndedHold(rule="accounting_documents", ends_on=dt.date(2036, 12, 31)),
                        EndedHold(rule="vat_documents", ends_on=dt.date(2036, 12, 31)),
                    )
                }
            )
        )

    def test_the_keys_of_every_invoice_and_assigned_payment_go_with_the_clients(self) -> None:
        (erased,) = (
            spec()
            .given(REQUESTED)
            .when(carry_out(ERASED_ON, invoices=("I2", "I1", "I2"), payments=("P9",)))
            .then_types(ClientPersonalDataErased)
        )
        assert isinstance(erased, ClientPersonalDataErased)
        assert erased.subjects == (f"client/{CLIENT}", "invoice/I1", "invoice/I2", "payment/P9")

    def test_not_while_the_documents_must_be_kept(self) -> None:
        spec().given(REQUESTED).when(carry_out(dt.date(2036, 12, 31), ACCOUNTING, VAT)).raises(
            RetentionNotOver, match="accounting_documents, vat_documents"
        )

    def test_not_while_an_invoice_is_open_however_late(self) -> None:
        error = (
            spec()
            .given(REQUESTED)
            .when(carry_out(dt.date(2099, 1, 1), ACCOUNTING, OPEN))
            .raises(RetentionNotOver)
        )
        assert str(error) == "still held by: invoice_open"

    def test_a_company_request_is_still_refused_while_one_is_pending(self) -> None:
        spec().given(REQUESTED).when(request(kind="company")).raises(ClientIsACompany)


class TestCarriedOut:
    def test_carrying_out_again_decides_nothing(self) -> None:
        spec().given(REQUESTED, ERASED).when(carry_out(ERASED_ON)).then()

    def test_a_new_request_has_nothing_left_to_erase(self) -> None:
        error = spec().given(REQUESTED, ERASED).when(request(request_id="r2")).raises(AlreadyErased)
        assert str(ERASED_ON) in str(error)

    def test_the_state_keeps_when_and_what(self) -> None:
        state = client_erasure_decider.fold([REQUESTED, ERASED])
        (done,) = state.requests
        assert (done.pending, done.carried_out_on, done.subjects) == (
            False, ERASED_ON, ERASED.subjects,
        )  # fmt: skip
        assert state.pending is None and state.request("r1") == done


def test_the_subjects_are_the_clients_then_invoices_then_payments() -> None:
    assert client_subjects("C1", ["I2", "I1"], ["P1"]) == (
        "client/C1", "invoice/I1", "invoice/I2", "payment/P1",
    )  # fmt: skip
