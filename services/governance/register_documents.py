"""The share register as CSV (one row per dated entry) and as an A4 PDF (fpdf2), both from the
JSON the projection answers, so the three forms never disagree. Names and domiciles arrive
sealed (`shared.personal`) and are opened here, where the document leaves the system."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from shared.parameters import cooperative
from shared.personal import reveal

CSV_COLUMNS = (
    "member_id", "holder_kind", "name", "domicile", "enterprise_number", "shares_a", "shares_b",
    "paid_cents", "entry", "on", "purchase_id", "category", "quantity", "amount_cents",
    "transfer_id", "counterparty",
)  # fmt: skip
_FONT = "helvetica"
_GREY = (235, 235, 235)


def register_csv(register: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for holder in reveal(register["holders"]):
        head = [
            holder["member_id"], holder["kind"], holder["name"], holder["domicile"] or "",
            holder["enterprise_number"] or "", holder["shares"]["A"], holder["shares"]["B"],
            holder["paid_cents"],
        ]  # fmt: skip
        for entry in holder["entries"]:
            writer.writerow(
                [*head, entry["kind"], entry["on"], entry["purchase_id"] or "",
                 entry["category"] or "", "" if entry["quantity"] is None else entry["quantity"],
                 entry["amount_cents"], entry["transfer_id"] or "", entry["counterparty"] or ""]
            )  # fmt: skip
    return out.getvalue()


def _text(value: object) -> str:
    """What Helvetica prints: cp1252 letters, others without accents, the rest '?'."""
    text = unicodedata.normalize("NFKD", str(value))
    kept = "".join(c for c in text if not unicodedata.combining(c))
    return kept.encode("windows-1252", "replace").decode("windows-1252")


def _eur(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}".replace(",", " ") + " EUR"


def register_pdf(register: dict[str, Any]) -> bytes:
    # Imported here: fpdf2 pulls in fontTools, a second of start-up for every process (the
    # crash tests restart the server many times), for a document asked for now and then.
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    register = reveal(register)
    headings = FontFace(emphasis="BOLD", fill_color=_GREY)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(_FONT, "B", 14)
    coop = cooperative()
    pdf.cell(0, 8, _text(f"Registre des parts - {coop.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 9)
    totals = register["shares_by_category"]
    summary = (
        f"Au {register['as_of']} : {register['total_shares']} parts"
        f" (catégorie A : {totals['A']}, catégorie B : {totals['B']})"
    )
    pdf.cell(0, 6, _text(summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    names = {holder["member_id"]: holder["name"] for holder in register["holders"]}
    for holder in register["holders"]:
        pdf.set_font(_FONT, "B", 10)
        identity = holder["name"]
        if holder["enterprise_number"]:
            identity += f" (BCE {holder['enterprise_number']})"
        pdf.cell(0, 6, _text(identity), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(_FONT, "", 9)
        place = "Siège" if holder["kind"] == "legal" else "Domicile"
        domicile = holder["domicile"] or "(non communiqué)"
        held = f"A : {holder['shares']['A']}, B : {holder['shares']['B']}"
        paid = _eur(holder["paid_cents"])
        line = _text(f"{place} : {domicile} - parts {held} - versé {paid}")
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        widths = (20, 25, 15, 12, 22, 30)
        with pdf.table(headings_style=headings, col_widths=widths) as table:
            table.row(["Date", "Mouvement", "Catégorie", "Parts", "Montant", "Contrepartie"])
            for entry in holder["entries"]:
                quantity = "" if entry["quantity"] is None else str(entry["quantity"])
                table.row(
                    [entry["on"], _text(_LABELS[entry["kind"]]), entry["category"] or "",
                     quantity, _eur(entry["amount_cents"]),
                     _text(names.get(entry["counterparty"], entry["counterparty"] or ""))]
                )  # fmt: skip
        pdf.ln(3)
    return bytes(pdf.output())


_LABELS = {
    "subscription": "Souscription", "payment": "Versement", "redemption": "Remboursement",
    "transfer_out": "Cession", "transfer_in": "Acquisition (cession)",
}  # fmt: skip
