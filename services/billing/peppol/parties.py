"""Who is who in a Peppol document: electronic addresses (EAS schemes) and party identifiers.

Peppol routes on `cbc:EndpointID` + `@schemeID` from the Electronic Address Scheme code list
(docs.peppol.eu/poacc/billing/3.0/codelist/eas). Every Belgian enterprise is registered under
0208 (its enterprise number, 10 digits, mod 97), which is what PEPPOL-COMMON-R043 checks; an
enterprise of another country is reached by the scheme of its VAT number (9957 FR VAT, ...) or,
where that country has none, by the national register number the VAT number contains.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from services.billing.document_model import Buyer, Seller

BELGIAN_ENTERPRISE_SCHEME = "0208"

# VAT prefix -> EAS scheme for a VAT number used as electronic address. Greece's prefix is EL.
_VAT_SCHEMES = {
    "AT": "9914",
    "BE": "9925",
    "BG": "9926",
    "CH": "9927",
    "CY": "9928",
    "CZ": "9929",
    "DE": "9930",
    "EE": "9931",
    "GB": "9932",
    "EL": "9933",
    "HR": "9934",
    "IE": "9935",
    "LI": "9936",
    "LT": "9937",
    "LU": "9938",
    "LV": "9939",
    "MC": "9940",
    "ME": "9941",
    "MK": "9942",
    "MT": "9943",
    "NL": "9944",
    "PL": "9945",
    "PT": "9946",
    "RO": "9947",
    "RS": "9948",
    "SI": "9949",
    "SK": "9950",
    "SM": "9951",
    "TR": "9952",
    "VA": "9953",
    "HU": "9910",
    "ES": "9920",
    "FR": "9957",
}


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def _danish_cvr(body: str) -> str | None:
    # DK VAT = DK + the 8-digit CVR number: scheme 0184 (PEPPOL-COMMON-R042 accepts 8 digits).
    return body if re.fullmatch(r"[0-9]{8}", body) else None


def _swedish_org_number(body: str) -> str | None:
    # SE VAT = SE + the 10-digit organisation number + "01": scheme 0007.
    return body[:10] if re.fullmatch(r"[0-9]{10}01", body) else None


def _italian_partita_iva(body: str) -> str | None:
    # IT VAT = IT + the 11-digit partita IVA: scheme 0211.
    return body if re.fullmatch(r"[0-9]{11}", body) else None


def _finnish_ovt(body: str) -> str | None:
    # FI VAT = FI + the 8-digit business id; its OVT code (scheme 0216) is "0037" + those digits.
    return "0037" + body if re.fullmatch(r"[0-9]{8}", body) else None


def _norwegian_org_number(body: str) -> str | None:
    # NO VAT = NO + the 9-digit organisation number + "MVA": scheme 0192.
    match = re.fullmatch(r"([0-9]{9})(MVA)?", body)
    return match.group(1) if match else None


# Countries whose VAT number has no EAS scheme of its own: the register number it contains.
_REGISTER_SCHEMES: dict[str, tuple[str, Callable[[str], str | None]]] = {
    "DK": ("0184", _danish_cvr),
    "SE": ("0007", _swedish_org_number),
    "IT": ("0211", _italian_partita_iva),
    "FI": ("0216", _finnish_ovt),
    "NO": ("0192", _norwegian_org_number),
}


@dataclass(frozen=True)
class SchemedId:
    scheme: str
    value: str


def compact_vat(vat_number: str) -> str:
    """`BE 0123.456.749` -> `BE0123456749`: the form EN 16931 wants (BR-CO-09 prefix)."""
    return re.sub(r"[^0-9A-Za-z]", "", vat_number).upper()


def belgian_enterprise_number(buyer: Buyer) -> str | None:
    """The 10 digits of a Belgian business's enterprise number, from its own field or its
    BE VAT number (the same 10 digits)."""
    if buyer.kind != "business":
        return None
    if buyer.enterprise_number:
        return _digits(buyer.enterprise_number)
    if buyer.vat_number and compact_vat(buyer.vat_number).startswith("BE"):
        return _digits(buyer.vat_number)
    return None


def seller_endpoint(seller: Seller) -> SchemedId:
    return SchemedId(BELGIAN_ENTERPRISE_SCHEME, _digits(seller.enterprise_number))


def vat_endpoint(vat_number: str) -> SchemedId | None:
    """The Peppol address a VAT number stands for, or None when its country has none."""
    vat = compact_vat(vat_number)
    prefix, body = vat[:2], vat[2:]
    if prefix in _REGISTER_SCHEMES:
        scheme, extract = _REGISTER_SCHEMES[prefix]
        value = extract(body)
        return SchemedId(scheme, value) if value else None
    if prefix in _VAT_SCHEMES and body:
        return SchemedId(_VAT_SCHEMES[prefix], vat)
    return None


def buyer_endpoint(buyer: Buyer, seller: Seller) -> SchemedId:
    """The buyer's electronic address (BT-49, mandatory: PEPPOL-EN16931-R010).

    A Belgian business: 0208 + its enterprise number. Another business: the scheme of its VAT
    number. A private client (or a business with no identifier Peppol knows) has no Peppol
    address, and Peppol accepts no e-mail scheme (EM is not in its EAS list, CL008). Such a
    document is never sent over Peppol (the transmission port e-mails it), so it carries the
    cooperative's own address: should it ever be sent, it comes back to us, never to a stranger.
    """
    enterprise = belgian_enterprise_number(buyer)
    if enterprise is not None:
        return SchemedId(BELGIAN_ENTERPRISE_SCHEME, enterprise)
    if buyer.kind == "business" and buyer.vat_number:
        endpoint = vat_endpoint(buyer.vat_number)
        if endpoint is not None:
            return endpoint
    return seller_endpoint(seller)
