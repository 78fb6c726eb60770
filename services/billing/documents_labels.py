"""The words of billing documents in French and Dutch: one `Labels` per language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["fr", "nl"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl")


@dataclass(frozen=True)
class Labels:
    invoice: str
    credit_note: str
    reminder: str  # followed by the level
    formal_notice: str
    number: str
    issue_date: str
    colon: str  # French sets a no-break space before it, Dutch does not
    credit_note_date: str
    prestation: str
    due_date: str
    service_period: str
    seller: str
    buyer: str
    enterprise: str  # BCE / KBO
    vat: str  # TVA / btw
    description: str
    quantity: str
    days: str
    hours_short: str
    rate: str
    amount_excl_vat: str
    vat_table: str
    category: str
    taxable: str
    vat_amount: str
    total_excl_vat: str
    total_vat: str
    total_incl_vat: str
    total_credited: str
    claim_kinds: dict[str, str]
    paid: str
    outstanding: str
    principal_outstanding: str
    payment: str
    pay_by: str
    iban: str
    bic: str
    reference: str
    settled: str
    credits_invoice: str  # "{number}", "{date}"
    reason: str
    credit_note_settlement: str
    detail_of_days: str
    date: str
    page: str
    categories: dict[str, str]
    exemption: str
    reminder_concerns: str  # "{number}", "{date}", "{due}", "{days}"
    reminder_intro: str
    formal_notice_intro: str  # "{pay_by}"
    reminder_request: str  # "{amount}", "{pay_by}"
    formal_notice_consequence: str
    first_reminder_free: str
    invoice_total: str
    sent_on: str


FRENCH = Labels(
    invoice="Facture",
    credit_note="Note de crédit",
    reminder="Rappel",
    formal_notice="Mise en demeure",
    number="Numéro",
    issue_date="Date de facture",
    colon="\u00a0:",
    credit_note_date="Date de la note de crédit",
    prestation="Prestation",
    due_date="Date d'échéance",
    service_period="Date(s) de la prestation",
    seller="Émetteur",
    buyer="Client",
    enterprise="BCE",
    vat="TVA",
    description="Description",
    quantity="Quantité",
    days="jour(s)",
    hours_short="h",
    rate="Taux TVA",
    amount_excl_vat="Montant HTVA",
    vat_table="Récapitulatif TVA",
    category="Régime",
    taxable="Base imposable",
    vat_amount="Montant TVA",
    total_excl_vat="Total HTVA",
    total_vat="Total TVA",
    total_incl_vat="Total TVAC",
    total_credited="Total crédité TVAC",
    claim_kinds={
        "interest": "Intérêts de retard",
        "flat_fee": "Indemnité forfaitaire",
        "damages": "Dommages et intérêts",
    },
    paid="Déjà payé",
    outstanding="Solde à payer",
    principal_outstanding="Dont principal restant dû",
    payment="Paiement",
    pay_by="À payer au plus tard le",
    iban="IBAN",
    bic="BIC",
    reference="Communication structurée",
    settled="Cette facture est entièrement payée. Merci.",
    credits_invoice="Cette note de crédit se rapporte à la facture n° {number} du {date}.",
    reason="Motif",
    credit_note_settlement="Le montant crédité est déduit de la facture ou vous est remboursé.",
    detail_of_days="Détail des jours prestés",
    date="Date",
    page="Page",
    categories={
        "S": "Taux normal",
        "E": "Exonéré",
        "AE": "Autoliquidation",
        "O": "Hors champ TVA",
    },
    exemption="Motif d'exonération",
    reminder_concerns=(
        "Concerne : facture n° {number} du {date}, échue le {due} ({days} jour(s) de retard)."
    ),
    reminder_intro="Sauf erreur de notre part, la facture ci-dessous reste impayée à ce jour.",
    formal_notice_intro=(
        "Malgré nos rappels, la facture ci-dessous reste impayée. Par la présente, nous vous "
        "mettons en demeure de payer le solde dû au plus tard le {pay_by}."
    ),
    reminder_request=(
        "Nous vous prions de payer {amount} au plus tard le {pay_by}, avec les coordonnées "
        "de paiement ci-dessous."
    ),
    formal_notice_consequence=(
        "À défaut de paiement dans ce délai, le recouvrement sera poursuivi sans autre avis."
    ),
    first_reminder_free="Ce premier rappel est gratuit : aucun frais ne vous est réclamé.",
    invoice_total="Montant de la facture TVAC",
    sent_on="Date du rappel",
)

DUTCH = Labels(
    invoice="Factuur",
    credit_note="Creditnota",
    reminder="Herinnering",
    formal_notice="Ingebrekestelling",
    number="Nummer",
    issue_date="Factuurdatum",
    colon=":",
    credit_note_date="Datum van de creditnota",
    prestation="Prestatie",
    due_date="Vervaldatum",
    service_period="Datum/data van de prestatie",
    seller="Uitgever",
    buyer="Klant",
    enterprise="KBO",
    vat="btw",
    description="Omschrijving",
    quantity="Hoeveelheid",
    days="dag(en)",
    hours_short="u",
    rate="Btw-tarief",
    amount_excl_vat="Bedrag excl. btw",
    vat_table="Btw-overzicht",
    category="Regeling",
    taxable="Maatstaf van heffing",
    vat_amount="Btw-bedrag",
    total_excl_vat="Totaal excl. btw",
    total_vat="Totaal btw",
    total_incl_vat="Totaal incl. btw",
    total_credited="Totaal gecrediteerd incl. btw",
    claim_kinds={
        "interest": "Nalatigheidsintresten",
        "flat_fee": "Forfaitaire vergoeding",
        "damages": "Schadevergoeding",
    },
    paid="Reeds betaald",
    outstanding="Te betalen saldo",
    principal_outstanding="Waarvan openstaande hoofdsom",
    payment="Betaling",
    pay_by="Te betalen uiterlijk op",
    iban="IBAN",
    bic="BIC",
    reference="Gestructureerde mededeling",
    settled="Deze factuur is volledig betaald. Dank u.",
    credits_invoice="Deze creditnota heeft betrekking op factuur nr. {number} van {date}.",
    reason="Reden",
    credit_note_settlement="Het gecrediteerde bedrag wordt verrekend of terugbetaald.",
    detail_of_days="Detail van de gewerkte dagen",
    date="Datum",
    page="Pagina",
    categories={
        "S": "Normaal tarief",
        "E": "Vrijgesteld",
        "AE": "Btw verlegd",
        "O": "Buiten toepassingsgebied",
    },
    exemption="Reden van vrijstelling",
    reminder_concerns=(
        "Betreft: factuur nr. {number} van {date}, vervallen op {due} ({days} dag(en) te laat)."
    ),
    reminder_intro="Behoudens vergissing onzerzijds is de onderstaande factuur nog niet betaald.",
    formal_notice_intro=(
        "Ondanks onze herinneringen is de onderstaande factuur nog niet betaald. Hierbij stellen "
        "wij u in gebreke het verschuldigde saldo te betalen uiterlijk op {pay_by}."
    ),
    reminder_request=(
        "Gelieve {amount} te betalen uiterlijk op {pay_by}, met de onderstaande betaalgegevens."
    ),
    formal_notice_consequence=(
        "Zonder betaling binnen deze termijn wordt de invordering zonder verdere kennisgeving "
        "voortgezet."
    ),
    first_reminder_free="Deze eerste herinnering is kosteloos: er worden geen kosten aangerekend.",
    invoice_total="Factuurbedrag incl. btw",
    sent_on="Datum van de herinnering",
)


def labels(language: Language) -> Labels:
    """The wording in `language`; `ValueError` for a language the documents are not written in."""
    if language == "fr":
        return FRENCH
    if language == "nl":
        return DUTCH
    raise ValueError(f"documents are written in {', '.join(LANGUAGES)}, not {language!r}")
