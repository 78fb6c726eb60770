"""The quote and the employment contract rendered as printable HTML."""

from __future__ import annotations

from services.contracts.documents import render_employment_contract, render_quote
from services.contracts.domain import (
    Client,
    EncodePrestation,
    Member,
    Prestation,
    Quoted,
    client_decider,
    member_decider,
    prestation_decider,
)
from shared.parameters import cooperative
from tests.contracts.test_member_and_client import CLIENT_REGISTERED, MEMBER_REGISTERED
from tests.contracts.test_prestation_decider import encode, encoded, one_day

COOPERATIVE = cooperative()
HOSTILE = '<script>alert("x")</script> & co'


def prestation_of(command: EncodePrestation) -> Prestation:
    state = prestation_decider.fold(encoded(command))
    assert isinstance(state, Quoted)
    return state.prestation


def prestation(**changes: object) -> Prestation:
    return prestation_of(encode(**changes))


def client(**changes: object) -> Client:
    state = client_decider.fold([CLIENT_REGISTERED.model_copy(update=changes)])
    assert isinstance(state, Client)
    return state


def member(**changes: object) -> Member:
    state = member_decider.fold([MEMBER_REGISTERED.model_copy(update=changes)])
    assert isinstance(state, Member)
    return state


class TestQuote:
    def test_it_shows_the_parties_the_days_and_the_amounts(self) -> None:
        html = render_quote(prestation(), client(), COOPERATIVE)
        assert html.startswith("<!DOCTYPE html>")
        for text in (
            "Quote q1",
            "Travail Partagé SCE",
            "Enterprise number 0123456749",
            "Théâtre du Parc",
            "VAT BE0123456749",
            "Two concerts",
            "Tue 2026-03-10",
            "8.00 h",
            "€\u00a01,000.00",
            "VAT 21 %",
            "€\u00a0210.00",
            "€\u00a01,210.00",
            "within 10 days",
            "BE71096123456769",
            "valid until\n<strong>2026-03-10</strong>",
        ):
            assert text in html, text

    def test_it_tells_the_client_how_to_accept(self) -> None:
        url = "https://coop.example/quotes/q1/accept?token=abc&lang=fr"
        html = render_quote(prestation(), client(), COOPERATIVE, acceptance_url=url)
        assert 'href="https://coop.example/quotes/q1/accept?token=abc&amp;lang=fr"' in html
        assert "no later than\n2026-03-10" in html
        assert "acceptance link sent to you" in render_quote(prestation(), client(), COOPERATIVE)

    def test_everything_a_person_typed_is_escaped(self) -> None:
        html = render_quote(
            prestation(description=HOSTILE), client(name=HOSTILE, address=HOSTILE), COOPERATIVE
        )
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html

    def test_a_foreign_business_client_at_zero_vat_gets_the_reverse_charge_mention(self) -> None:
        foreign = client(country="FR", vat_number="FR40303265045")
        html = render_quote(prestation(vat_rate="0"), foreign, COOPERATIVE)
        assert "Reverse charge" in html
        assert "Reverse charge" not in render_quote(prestation(vat_rate="0"), client(), COOPERATIVE)

    def test_it_is_printable(self) -> None:
        assert "@media print" in render_quote(prestation(), client(), COOPERATIVE)


class TestEmploymentContract:
    def test_it_shows_the_parties_days_and_salary(self) -> None:
        html = render_employment_contract(prestation(), member(), COOPERATIVE)
        for text in (
            "Employment contract c1",
            "ONSS employer number 503721864",
            "Joint committee 322",
            "Alice Dupont",
            "NISS 85.07.30-033.28",
            "IBAN BE71096123456769",
            "Contract hours",
            "8.00 h",
            "€\u00a0639.24",
            "€\u00a0319.62",
            "Withholding tax at 22 %",
            "€\u00a0428.23",
        ):
            assert text in html, text
        assert "less than a day" not in html
        assert "@media print" in html

    def test_a_contract_of_less_than_a_day_says_so_and_why(self) -> None:
        html = render_employment_contract(prestation_of(one_day(15000)), member(), COOPERATIVE)
        assert "Contract of less than a day" in html
        assert "€\u00a095.89" in html
        assert "€\u00a097.47" in html
        assert "12.8252" in html
        assert "7.48 hours" in html
        assert "7.48 h</td>" in html

    def test_everything_a_person_typed_is_escaped(self) -> None:
        html = render_employment_contract(
            prestation(description=HOSTILE), member(last_name=HOSTILE), COOPERATIVE
        )
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
