"""Safe reading of an ISO 20022 XML message, each element known by its path for errors.

No DTD, no entity, no network: a DOCTYPE is refused before and after parsing (an entity bomb
or an external entity needs one), and lxml is told not to resolve, load or fetch anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from services.billing.statements.model import StatementFormatError

# The elements a statement may repeat: their paths carry a 1-based index ("Ntry[3]").
_REPEATED = frozenset({"Stmt", "Bal", "Ntry", "NtryDtls", "TxDtls", "Ustrd", "Strd"})
_AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
_DOCTYPE_MARKS = tuple(
    mark.encode(encoding)
    for mark in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?")


def parse_document(body: bytes) -> etree._Element:
    if any(mark in body for mark in _DOCTYPE_MARKS):
        raise StatementFormatError("!DOCTYPE", "a DOCTYPE (DTD or entity) is refused")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        line = error.lineno or 1
        raise StatementFormatError(f"line {line}", f"not well-formed XML: {error.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise StatementFormatError("!DOCTYPE", "a DOCTYPE (DTD or entity) is refused")
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


@dataclass(frozen=True)
class At:
    """An element and its path ("/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]")."""

    element: etree._Element
    path: str
    namespace: str

    def fail(self, reason: str, child: str | None = None) -> StatementFormatError:
        return StatementFormatError(self.path + (f"/{child}" if child else ""), reason)

    def children(self, name: str) -> list[At]:
        found = self.element.findall(f"{{{self.namespace}}}{name}")
        if name not in _REPEATED:
            return [At(element, f"{self.path}/{name}", self.namespace) for element in found]
        return [
            At(element, f"{self.path}/{name}[{i}]", self.namespace)
            for i, element in enumerate(found, start=1)
        ]

    def child(self, *names: str) -> At | None:
        """The first element down `names` ("RltdPties", "Dbtr", "Nm"), None when absent."""
        at: At | None = self
        for name in names:
            if at is None:
                return None
            found = at.children(name)
            at = found[0] if found else None
        return at

    def need(self, *names: str) -> At:
        at = self
        for name in names:
            below = at.child(name)
            if below is None:
                raise at.fail("this required element is missing", name)
            at = below
        return at

    def text(self) -> str:
        value = (self.element.text or "").strip()
        if not value:
            raise self.fail("this element is empty")
        return value

    def text_of(self, *names: str) -> str | None:
        found = self.child(*names)
        if found is None:
            return None
        return " ".join((found.element.text or "").split()) or None

    def code(self, allowed: tuple[str, ...]) -> str:
        value = self.text()
        if value not in allowed:
            raise self.fail(f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def amount(self, currency: str | None) -> tuple[int, str]:
        """An amount element → (cents, its Ccy), refusing a fraction of a cent or a wrong Ccy."""
        text = self.text()
        if not _AMOUNT.fullmatch(text):
            raise self.fail(f"{text[:40]!r} is not an amount (digits, a point, 5 decimals at most)")
        value = Decimal(text) * 100
        if value != value.to_integral_value():
            raise self.fail(f"{text} has a fraction of a cent")
        found = self.element.get("Ccy") or ""
        if not re.fullmatch(r"[A-Z]{3}", found):
            raise self.fail(f"the Ccy attribute {found[:10]!r} is not an ISO 4217 code")
        if currency is not None and found != currency:
            raise self.fail(f"an amount in {found} on an account in {currency}")
        return int(value), found

    def day(self) -> date:
        """A `Dt` or a `DtTm` below this element (a balance's Dt, an entry's BookgDt)."""
        at = self.child("Dt")
        if at is not None:
            text = at.text()
            if _DATE.fullmatch(text):
                try:
                    return date.fromisoformat(text[:10])
                except ValueError:
                    pass
            raise at.fail(f"{text[:40]!r} is not a date (YYYY-MM-DD)")
        at = self.child("DtTm")
        if at is None:
            raise self.fail("this required element is missing", "Dt")
        text = at.text()
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            raise at.fail(f"{text[:40]!r} is not a date and time (ISO 8601)") from None
