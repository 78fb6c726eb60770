"""Which VAT regime an invoice line falls under, from the client and the rate chosen.

- A client in Belgium (business or private): the rate chosen at encoding; 0 % is category E.
- A business client of another EU member state with a valid VAT number of that state: reverse
  charge (art. 196 of the VAT directive): 0 %, category AE, "Autoliquidation" / "Btw verlegd".
- A private client elsewhere in the EU: Belgian VAT, as for a Belgian private client.
- A client outside the EU: outside the scope of Belgian VAT (category O), no VAT.

A Belgian client is never reverse-charged: a VAT number of another state on a client in
Belgium is refused rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stdnum.eu import vat as eu_vat

from services.billing.domain.errors import VatRegimeRefused
from shared.events.billing import VatCategoryCode
from shared.money import apply_rate, percent

REVERSE_CHARGE_MENTIONS = ("Autoliquidation", "Btw verlegd")
REVERSE_CHARGE_REASON = "Autoliquidation — Btw verlegd (art. 196 directive 2006/112/CE)"
EXEMPT_REASON = "Exonération de TVA — Vrijgesteld van btw"
OUT_OF_SCOPE_REASON = "Hors champ de la TVA belge — Buiten het toepassingsgebied van de btw"
# stdnum's VAT prefixes are the ISO codes except Greece's.
_PREFIX_COUNTRY = {"EL": "GR"}


@dataclass(frozen=True)
class VatTreatment:
    category: VatCategoryCode
    rate: str  # percentage text, "21"
    exemption_reason: str | None
    mentions: tuple[str, ...]

    def vat_on(self, taxable_cents: int) -> int:
        return apply_rate(taxable_cents, percent(self.rate))


def _vat_country(vat_number: str) -> str | None:
    prefix = vat_number[:2].upper()
    country = _PREFIX_COUNTRY.get(prefix, prefix)
    return country if country.lower() in eu_vat.MEMBER_STATES else None


def treatment(
    country: str, vat_number: str | None, chosen_rate: str, allowed_rates: frozenset[str]
) -> VatTreatment:
    """The regime of a line at `chosen_rate` for a client of `country` with `vat_number`."""
    country = country.upper()
    if chosen_rate not in allowed_rates:
        raise VatRegimeRefused(f"{chosen_rate} % is not a Belgian VAT rate", field="vat_rate")
    vat_country = _vat_country(vat_number) if vat_number else None
    if country == "BE":
        if vat_country not in (None, "BE"):
            raise VatRegimeRefused(
                f"a client in Belgium with the VAT number {vat_number} of {vat_country}:"
                " reverse charge never applies to a Belgian client; correct the client",
                field="vat_number",
            )
        return _domestic(chosen_rate)
    if country.lower() in eu_vat.MEMBER_STATES:
        if vat_number is None:
            return _domestic(chosen_rate)  # a private client in the EU pays Belgian VAT
        if vat_country != country or not eu_vat.is_valid(vat_number):
            raise VatRegimeRefused(
                f"{vat_number} is not a valid VAT number of {country}: reverse charge needs one",
                field="vat_number",
            )
        return VatTreatment("AE", "0", REVERSE_CHARGE_REASON, REVERSE_CHARGE_MENTIONS)
    return VatTreatment("O", "0", OUT_OF_SCOPE_REASON, ())


def _domestic(rate: str) -> VatTreatment:
    if percent(rate) == Decimal(0):
        return VatTreatment("E", "0", EXEMPT_REASON, ())
    return VatTreatment("S", rate, None, ())
