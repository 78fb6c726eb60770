"""The prestation aggregate (`prestation-<id>`): its quote, employment contract and DIMONA."""

from __future__ import annotations

from services.contracts.domain.prestation.commands import (
    AcceptQuote,
    AmendPrestation,
    CancelPrestation,
    Day,
    EncodePrestation,
    ExpenseLine,
    ExpireQuote,
    PrestationCommand,
    RecordDimonaAnswer,
    RejectQuote,
)
from services.contracts.domain.prestation.decide import (
    MEMBER_STREAM_EVENTS,
    decide_prestation,
)
from services.contracts.domain.prestation.evolve import (
    evolve_prestation,
)
from services.contracts.domain.prestation.rules import (
    employment_days,
    hash_acceptance_token,
)
from services.contracts.domain.prestation.state import (
    Accepted,
    Closed,
    ContractFacts,
    Declaration,
    NoPrestation,
    Prestation,
    PrestationState,
    Quoted,
    QuoteFacts,
)
from shared.decider import Decider

prestation_decider: Decider[PrestationCommand, PrestationState] = Decider(
    initial_state=NoPrestation, decide=decide_prestation, evolve=evolve_prestation
)

__all__ = [
    "MEMBER_STREAM_EVENTS",
    "AcceptQuote",
    "Accepted",
    "AmendPrestation",
    "CancelPrestation",
    "Closed",
    "ContractFacts",
    "Day",
    "Declaration",
    "EncodePrestation",
    "ExpenseLine",
    "ExpireQuote",
    "NoPrestation",
    "Prestation",
    "PrestationCommand",
    "PrestationState",
    "QuoteFacts",
    "Quoted",
    "RecordDimonaAnswer",
    "RejectQuote",
    "decide_prestation",
    "employment_days",
    "evolve_prestation",
    "hash_acceptance_token",
    "prestation_decider",
]
