"""Which event fields are personal data, and whose.

A field is marked in its type: `first_name: Annotated[str, OF_MEMBER]`. The store codec
(`shared.personal`) seals a marked value on append with the key of the person it belongs to —
the person whose id is the value of `id_field`, looked up in the object holding the field and
then in the enclosing event — so that erasing that person's key erases the value everywhere at
once. A marked `dict` field has each of its text values sealed.

A field whose name looks personal but is not (an employer's name, a file name) says so with
`NotPersonal(why)`; a test refuses a suspicious name that carries neither.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Personal:
    owner: str  # the kind of person: "member", "client", "payment", "statement"…
    id_field: str  # the field holding that person's id

    def subject(self, person_id: str) -> str:
        """The key's name: one key per person."""
        return f"{self.owner}/{person_id}"


@dataclass(frozen=True, slots=True)
class NotPersonal:
    why: str


OF_MEMBER = Personal("member", "member_id")
OF_CLIENT = Personal("client", "client_id")
# Who paid, when a bank movement names someone that is not (yet) a known client.
OF_PAYER = Personal("payment", "payment_id")
OF_STATEMENT = Personal("statement", "statement_id")
# An e-mail recipient of an invoice (the client's address when it was sent).
OF_INVOICE = Personal("invoice", "invoice_id")
