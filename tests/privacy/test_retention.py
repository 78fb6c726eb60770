"""Which retention rules hold a member's data, until when, and their dated configuration."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest

from services.privacy.domain.retention import (
    ClientFacts,
    Fact,
    MemberFacts,
    add_years,
    client_holds,
    erasable_from,
    financial_year_close,
    holds,
)
from shared.parameters import DEFAULT_PATH, ParameterError, ParameterNotDefined
from shared.parameters_privacy import retention_rules_from, retention_rules_on

RULES = retention_rules_on(dt.date(2026, 3, 2))


def ends(facts: MemberFacts) -> dict[str, dt.date | None]:
    return {hold.rule: hold.ends_on for hold in holds(facts, RULES)}


class TestTheDefaults:
    def test_periods_and_sources_as_configured(self) -> None:
        assert (
            RULES.social_documents.years, RULES.accounting_documents.years,
            RULES.vat_documents.years, RULES.withholding_tax.years, RULES.share_register.years,
        ) == (5, 10, 10, 7, 10)  # fmt: skip
        assert "art. 25" in RULES.social_documents.source
        assert "III.86" in RULES.accounting_documents.source
        assert "art. 60" in RULES.vat_documents.source
        assert "art. 315" in RULES.withholding_tax.source
        assert RULES.financial_year_end == (12, 31)


class TestHolds:
    def test_a_member_with_no_history_is_held_by_nothing(self) -> None:
        assert holds(MemberFacts(), RULES) == ()

    def test_social_documents_five_years_after_the_last_employment(self) -> None:
        facts = MemberFacts(last_employment=Fact("contract C1, last day", dt.date(2026, 3, 11)))
        assert ends(facts) == {"social_documents": dt.date(2031, 3, 11)}

    def test_accounting_ten_years_from_the_first_of_january_after_the_financial_year(
        self,
    ) -> None:
        facts = MemberFacts(last_accounting_document=Fact("invoice 2026-1", dt.date(2026, 3, 2)))
        assert ends(facts) == {"accounting_documents": dt.date(2036, 12, 31)}

    def test_a_financial_year_ending_in_june_moves_the_end(self) -> None:
        june = retention_rules_from(_table(financial_year_end="06-30"), dt.date(2026, 3, 2))
        late = MemberFacts(last_accounting_document=Fact("invoice", dt.date(2026, 7, 1)))
        (hold,) = holds(late, june)
        assert hold.ends_on == dt.date(2037, 12, 31)  # year closing 2027-06-30

    def test_vat_and_withholding_from_the_year_of_the_document(self) -> None:
        facts = MemberFacts(
            last_vat_document=Fact("invoice 2026-1", dt.date(2026, 12, 31)),
            last_salary_payment=Fact("salary S1 paid", dt.date(2026, 3, 20)),
        )
        assert ends(facts) == {
            "vat_documents": dt.date(2036, 12, 31),
            "withholding_tax": dt.date(2033, 12, 31),
        }

    def test_a_shareholder_is_held_while_in_the_register(self) -> None:
        facts = MemberFacts(shareholder=Fact("in the register", dt.date(2026, 3, 2)))
        assert ends(facts) == {"share_register": None}
        assert erasable_from(holds(facts, RULES), dt.date(2026, 3, 2)) is None

    def test_after_the_redemption_like_its_accounting_documents(self) -> None:
        facts = MemberFacts(shares_redeemed=Fact("shares redeemed", dt.date(2027, 6, 30)))
        assert ends(facts) == {"share_register": dt.date(2037, 12, 31)}

    def test_a_salary_still_owed_holds_without_end(self) -> None:
        facts = MemberFacts(salary_owed=Fact("salary S1 scheduled", dt.date(2026, 3, 2)))
        assert ends(facts) == {"salary_owed": None}

    def test_erasable_the_day_after_the_last_hold_ends(self) -> None:
        facts = MemberFacts(
            last_employment=Fact("contract", dt.date(2026, 3, 11)),
            last_vat_document=Fact("invoice", dt.date(2026, 3, 2)),
        )
        found = holds(facts, RULES)
        assert erasable_from(found, dt.date(2026, 3, 2)) == dt.date(2037, 1, 1)
        assert [h.ended(dt.date(2036, 12, 31)) for h in found] == [True, False]
        assert [h.ended(dt.date(2037, 1, 1)) for h in found] == [True, True]

    def test_with_no_hold_erasable_from_the_request(self) -> None:
        assert erasable_from((), dt.date(2026, 3, 2)) == dt.date(2026, 3, 2)


class TestClientHolds:
    def test_a_client_never_invoiced_is_held_by_nothing(self) -> None:
        assert client_holds(ClientFacts(), RULES) == ()

    def test_their_invoices_as_accounting_and_vat_documents(self) -> None:
        invoice = Fact("invoice 2026-000001", dt.date(2026, 3, 12))
        payment = Fact("payment P1 of invoice I1", dt.date(2027, 1, 4))
        facts = ClientFacts(last_accounting_document=payment, last_vat_document=invoice)
        found = client_holds(facts, RULES)
        assert {h.rule: h.ends_on for h in found} == {
            "accounting_documents": dt.date(2037, 12, 31),  # the payment's financial year
            "vat_documents": dt.date(2036, 12, 31),
        }
        assert [h.source for h in found] == [
            RULES.accounting_documents.source, RULES.vat_documents.source,
        ]  # fmt: skip

    def test_an_open_invoice_holds_without_end(self) -> None:
        facts = ClientFacts(
            last_vat_document=Fact("invoice 2026-000001", dt.date(2026, 3, 12)),
            invoice_open=Fact("invoice 2026-000001 not settled", dt.date(2026, 3, 12)),
        )
        found = client_holds(facts, RULES)
        (open_invoice,) = [h for h in found if h.rule == "invoice_open"]
        assert open_invoice.ends_on is None and "17" in open_invoice.source
        assert erasable_from(found, dt.date(2026, 3, 2)) is None


class TestDates:
    def test_the_29th_of_february_becomes_the_28th(self) -> None:
        assert add_years(dt.date(2028, 2, 29), 5) == dt.date(2033, 2, 28)
        assert add_years(dt.date(2028, 2, 29), 4) == dt.date(2032, 2, 29)

    @pytest.mark.parametrize(
        ("day", "close"),
        [
            (dt.date(2026, 6, 30), dt.date(2026, 6, 30)),
            (dt.date(2026, 7, 1), dt.date(2027, 6, 30)),
            (dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ],
    )
    def test_the_financial_year_a_day_belongs_to(self, day: dt.date, close: dt.date) -> None:
        assert financial_year_close(day, (6, 30)) == close


def _table(**overrides: Any) -> dict[str, Any]:
    table = dict(tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["privacy"])
    for name, value in overrides.items():
        table[name] = [{"value": value, "valid_from": dt.date(2017, 1, 1), "source": "test"}]
    return table


class TestTheConfiguration:
    def test_a_day_before_every_period_is_not_defined(self) -> None:
        with pytest.raises(ParameterNotDefined):
            retention_rules_from(_table(), dt.date(2000, 1, 1))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"social_documents_years": -1},
            {"social_documents_years": 101},
            {"social_documents_years": "5"},
            {"financial_year_end": "02-29"},
            {"financial_year_end": "13-01"},
            {"financial_year_end": 1231},
        ],
    )
    def test_a_bad_value_is_refused(self, overrides: dict[str, Any]) -> None:
        with pytest.raises(ParameterError):
            retention_rules_from(_table(**overrides), dt.date(2026, 3, 2))

    def test_every_period_states_its_source(self) -> None:
        table = _table()
        table["vat_documents_years"] = [{"value": 10, "valid_from": dt.date(2017, 1, 1)}]
        with pytest.raises(ParameterError, match="source"):
            retention_rules_from(table, dt.date(2026, 3, 2))

    def test_overlapping_periods_are_refused(self) -> None:
        table = _table()
        period = {"value": 10, "valid_from": dt.date(2017, 1, 1), "source": "x"}
        table["vat_documents_years"] = [period, {**period, "valid_from": dt.date(2020, 1, 1)}]
        with pytest.raises(ParameterError, match="overlap"):
            retention_rules_from(table, dt.date(2026, 3, 2))

    def test_unknown_and_missing_parameters_are_refused(self) -> None:
        with pytest.raises(ParameterError, match="unknown"):
            retention_rules_from({**_table(), "shred_years": []}, dt.date(2026, 3, 2))
        table = _table()
        del table["share_register_years"]
        with pytest.raises(ParameterError, match="missing"):
            retention_rules_from(table, dt.date(2026, 3, 2))
