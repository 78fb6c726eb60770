"""Validation of Belgian and banking identifiers with python-stdnum (DOMAIN.md §6).

Each function returns the compact, normalised value or raises `InvalidIdentifier` naming the
field at fault, so the API answers a 422 problem that points at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.be import iban as stdnum_be_iban
from stdnum.be import ssn as stdnum_be_ssn
from stdnum.be import vat as stdnum_be_vat
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import ValidationError

from shared.decider import DomainError


class InvalidIdentifier(DomainError):
    code = "invalid-identifier"


# VAT numbers carry the ISO country code, except Greece's (EL).
_VAT_PREFIXES = {"GR": "EL"}


def _validated(validate: Callable[[str], str], value: str, field: str, what: str) -> str:
    try:
        return validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(f"{value!r} is not a valid {what}: {error}", field=field) from None


def niss(value: str, *, field: str = "niss") -> str:
    """A national register number or a BIS number (the NISS of a non-resident) → 11 digits."""
    return _validated(stdnum_be_ssn.validate, value, field, "NISS (national or BIS number)")


def format_niss(value: str) -> str:
    """A valid NISS the way it is printed: "85.07.30-033.28"."""
    formatted: str = stdnum_be_ssn.format(value)
    return formatted


def niss_birth_date(value: str) -> dt.date | None:
    """The birth date encoded in a valid NISS, None when the number does not reveal it."""
    try:
        birth_date: dt.date | None = stdnum_be_ssn.get_birth_date(value)
    except ValidationError:
        return None
    return birth_date


def niss_gender(value: str) -> Literal["F", "M"] | None:
    """ "M" (odd sequence) or "F" (even), None when a BIS number leaves it unknown."""
    gender = stdnum_be_ssn.get_gender(value)
    return "M" if gender == "M" else "F" if gender == "F" else None


def iban(value: str, *, field: str = "iban") -> str:
    """Any IBAN (mod 97 and country format) → compact upper case ("BE71096123456769")."""
    return _validated(stdnum_iban.validate, value, field, "IBAN")


def bic(value: str, *, field: str = "bic") -> str:
    """A BIC (8 or 11 characters) → compact upper case."""
    return _validated(stdnum_bic.validate, value, field, "BIC")


def bic_of_belgian_iban(value: str) -> str | None:
    """The BIC of the bank behind a Belgian IBAN, when stdnum's bank table knows it."""
    compact = stdnum_iban.compact(value)
    if not compact.startswith("BE"):
        return None
    found: str | None = stdnum_be_iban.to_bic(compact)
    return found


def enterprise_number(value: str, *, field: str = "enterprise_number") -> str:
    """A Belgian enterprise number, with or without "BE" and dots → 10 digits ("0123456749")."""
    return _validated(stdnum_be_vat.validate, value, field, "Belgian enterprise number")


def vat_number(value: str, *, country: str = "BE", field: str = "vat_number") -> str:
    """A VAT number → country prefix and digits ("BE0123456749").

    Belgian numbers get the Belgian checks (mod 97); numbers of other EU member states the
    checks of their country. Outside the EU there is no rule to check: the value is kept as
    typed, without spaces.
    """
    country = country.upper()
    if country == "BE":
        return "BE" + enterprise_number(value, field=field)
    compact = "".join(value.split()).upper()
    if country.lower() not in stdnum_eu_vat.MEMBER_STATES:
        return compact
    prefix = _VAT_PREFIXES.get(country, country)
    if not compact[:2].isalpha():
        compact = prefix + compact
    if not compact.startswith(prefix):
        raise InvalidIdentifier(f"{value!r} is not a VAT number of {country}", field=field)
    return _validated(stdnum_eu_vat.validate, compact, field, f"{country} VAT number")
