"""Over HTTP in the embedded app: a retried vote replays its first answer (and another vote
under the same key is refused) while the log keeps nothing a ballot could be recomputed from;
the assembly list; the board renewed in parts, automatically, year after year."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from services.governance.api.common import GovernanceRuntime
from services.governance.ids import assembly_stream
from shared.events.governance import Ballot
from shared.eventstore.codec import decode
from tests.api.api_client import ADMIN_KEY, TODAY, Api, assert_problem
from tests.api.conftest import running_app
from tests.governance.test_assemblies_api import shareholder

HELD = dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with running_app(tmp_path_factory.mktemp("votes")) as api:
        yield api


@pytest.fixture(autouse=True)
def today(api: Api) -> None:
    api.set_today(TODAY)


def convene(api: Api, held_on: dt.date = HELD, **extra: Any) -> dict[str, Any]:
    body = {
        "title": f"AG {held_on}",
        "held_on": held_on.isoformat(),
        "resolutions": [{"resolution_id": "accounts", "title": "Accounts"}],
        **extra,
    }
    return api.post("/v1/assemblies", body, status=201)


def runtime(api: Api) -> GovernanceRuntime:
    found: GovernanceRuntime = api.app.state.governance
    return found


class TestARetriedVote:
    def vote(self, api: Api, assembly: str, body: dict[str, Any], key: str) -> Any:
        raw = json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {ADMIN_KEY}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        return api.client.post(f"/v1/assemblies/{assembly}/votes", content=raw, headers=headers)

    def test_replays_the_first_answer_and_refuses_another_vote_under_its_key(
        self, api: Api
    ) -> None:
        ana, bob = shareholder(api), shareholder(api)
        assembly = convene(api)["assembly_id"]
        api.set_today(HELD)
        body = {"member_id": ana, "channel": "in_person", "choices": {"accounts": "for"}}
        first = self.vote(api, assembly, body, "ana-vote")
        assert first.status_code == 201, first.text
        again = self.vote(api, assembly, body, "ana-vote")
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["Idempotent-Replayed"] == "true"

        changed = self.vote(api, assembly, {**body, "choices": {"accounts": "against"}}, "ana-vote")
        assert_problem(changed, 422, "idempotency-key-reused", field="Idempotency-Key")
        someone_else = self.vote(api, assembly, {**body, "member_id": bob}, "ana-vote")
        assert_problem(someone_else, 422, "idempotency-key-reused")
        assert_problem(self.vote(api, assembly, body, "ana-again"), 409, "already-voted")

        records = [decode(r) for r in api.store.read_stream(assembly_stream(assembly))]
        cast = [r for r in records if r.type == "VoteCast"]
        assert len(cast) == 1
        # The log never holds a digest of the body (of a ballot: as good as the choices).
        sent = hashlib.sha256(json.dumps(body).encode()).hexdigest()
        ballots = [Ballot(choices=(("accounts", c),)) for c in ("for", "against", "abstain")]
        plain = {hashlib.sha256(b.model_dump_json().encode()).hexdigest() for b in ballots}
        digest = cast[0].metadata.request_digest or ""
        assert sent not in digest and not any(p in digest for p in plain)

        closed = api.post(f"/v1/assemblies/{assembly}/close", {})
        assert closed["voters"] == 1 and closed["results"][0]["for_votes"] == 1
        key = cast[0].metadata.idempotency_key or ""
        # Closed: the secret the tags were made with is gone, so no one can recompute one …
        tags = runtime(api).assemblies.tags
        assert tags.tag(assembly, key, ballots[0], create=False) is None
        # … and a retry is still answered, checked on who voted and how.
        late = self.vote(api, assembly, body, "ana-vote")
        assert (late.status_code, late.json()) == (201, first.json())
        assert_problem(
            self.vote(api, assembly, {**body, "member_id": bob}, "ana-vote"),
            422,
            "idempotency-key-reused",
        )

    def test_equal_ballots_of_two_voters_leave_unequal_digests(self, api: Api) -> None:
        ana, bob = shareholder(api), shareholder(api)
        assembly = convene(api)["assembly_id"]
        api.set_today(HELD)
        for member in (ana, bob):
            body = {"member_id": member, "channel": "in_person", "choices": {"accounts": "for"}}
            assert self.vote(api, assembly, body, f"key-{member}").status_code == 201
        cast = [
            decode(r)
            for r in api.store.read_stream(assembly_stream(assembly))
            if r.type == "VoteCast"
        ]
        tags = [(c.metadata.request_digest or "").partition(".")[2] for c in cast]
        assert len(set(tags)) == 2 and all(tags)


class TestTheAssemblyList:
    def test_pages_filtered_by_status_and_day(self, api: Api) -> None:
        days = [dt.date(2026, 5, d) for d in (20, 21, 22)]
        convened = [convene(api, day) for day in days]
        shareholder(api)
        api.set_today(days[0])
        closed = api.post(f"/v1/assemblies/{convened[0]['assembly_id']}/close", {})
        params = {
            "from": "2026-05-20",
            "to": "2026-05-22",
            "limit": 2,
            "min_position": closed["position"],
        }
        first = api.get("/v1/assemblies", params=params)
        assert [a["held_on"] for a in first["items"]] == ["2026-05-20", "2026-05-21"]
        assert first["items"][0]["status"] == "closed" and first["next_cursor"]
        rest = api.get("/v1/assemblies", params={**params, "cursor": first["next_cursor"]})
        assert [a["assembly_id"] for a in rest["items"]] == [convened[2]["assembly_id"]]
        assert rest["next_cursor"] is None
        still_open = api.get("/v1/assemblies", params={**params, "status": "convened"})
        assert [a["held_on"] for a in still_open["items"]] == ["2026-05-21", "2026-05-22"]
        one_day = api.get("/v1/assemblies", params={"from": "2026-05-21", "to": "2026-05-21"})
        assert [a["assembly_id"] for a in one_day["items"]] == [convened[1]["assembly_id"]]
        bad = api.request("GET", "/v1/assemblies", params={"status": "open"})
        assert_problem(bad, 422, "validation-error", field="status")


class TestTheBoardRenewedInParts:
    """The first board is elected at once, its seats split over 1 to 4 years; the next ordinary
    assembly renews the quarter ending, for 4 years, under quotas of the whole board."""

    def test_year_after_year(self, api: Api) -> None:
        women = [shareholder(api, "F") for _ in range(10)]
        men = [shareholder(api, "M") for _ in range(10)]
        first_day = dt.date(2026, 6, 13)
        election = {"election_id": "board-2026", "candidates": women + men}
        founding = convene(api, first_day, election=election)
        assert founding["election"]["seats"] == 18
        assert founding["board_renewal"]["terms"] == [4] * 5 + [3] * 5 + [2] * 4 + [1] * 4
        api.set_today(first_day)
        for voter in women + men:
            body = {"member_id": voter, "channel": "in_person", "candidates": (women + men)[:18]}
            api.post(f"/v1/assemblies/{founding['assembly_id']}/votes", body, status=201)
        api.post(f"/v1/assemblies/{founding['assembly_id']}/close", {})
        board = api.get("/v1/board", params={"as_of": first_day.isoformat()})["members"]
        ends = sorted(m["ends_on"] for m in board)
        assert [ends.count(f"{y}-06-12") for y in (2027, 2028, 2029, 2030)] == [4, 4, 5, 5]

        api.set_today("2026-09-01")
        nothing = api.request(
            "POST",
            "/v1/assemblies",
            json={"title": "AG", "held_on": "2026-10-01", "election": election},
        )
        assert_problem(nothing, 422, "no-seat-to-renew")
        extraordinary = api.request(
            "POST",
            "/v1/assemblies",
            json={
                "title": "AGE",
                "kind": "extraordinary",
                "held_on": "2026-10-01",
                "election": election,
            },
        )
        assert_problem(extraordinary, 422, "election-seats-required", field="election.seats")
        statutes = api.get("/v1/board/renewal")
        assert (statutes["source"], statutes["held_on"]) == ("statutes", "2027-06-15")
        ending = {m["member_id"] for m in board if m["ends_on"] == "2027-06-12"}
        assert {m["member_id"] for m in statutes["ending"]} == ending
        assert (statutes["seats"], statutes["terms"]) == (4, [4, 4, 4, 4])

        next_day = dt.date(2027, 6, 12)
        api.set_today("2027-05-01")
        # Four of each: whichever four mandates end (the founding tie-break decides), both
        # quotas stay reachable with the four seats.
        newcomers = [shareholder(api, "M") for _ in range(4)] + [
            shareholder(api, "F") for _ in range(4)
        ]
        renewal = convene(
            api, next_day, election={"election_id": "board-2027", "candidates": newcomers}
        )
        assert set(renewal["board_renewal"]["renews"]) == ending
        planned = api.get("/v1/board/renewal")
        assert (planned["source"], planned["assembly_id"]) == ("convened", renewal["assembly_id"])
        quotas = planned["quotas"]
        assert quotas["women"]["required"] == 8  # 40 % of the 18 after the election
        api.set_today(next_day)
        for voter in women + men:
            ballot = newcomers[:2] + newcomers[4:6]  # two men, two women: one per seat
            body = {"member_id": voter, "channel": "in_person", "candidates": ballot}
            api.post(f"/v1/assemblies/{renewal['assembly_id']}/votes", body, status=201)
        closed = api.post(f"/v1/assemblies/{renewal['assembly_id']}/close", {})
        elected = {e["member_id"] for e in closed["board_election"]["elected"]}
        assert api.get(f"/v1/assemblies/{renewal['assembly_id']}/recount")["matches"] is True

        after = api.get("/v1/board", params={"as_of": next_day.isoformat()})["members"]
        sitting = {m["member_id"] for m in after}
        assert elected <= sitting and not ending & sitting
        genders = [m["gender"] for m in after]
        assert genders.count("F") >= quotas["women"]["required"]
        assert genders.count("M") >= quotas["men"]["required"]
        assert {m["ends_on"] for m in after if m["member_id"] in elected} == {"2031-06-11"}
        eve = api.get("/v1/board", params={"as_of": "2027-06-11"})["members"]
        assert ending <= {m["member_id"] for m in eve}
        soon = api.get("/v1/board/mandates-ending", params={"within_days": 30})["items"]
        assert not ending & {m["member_id"] for m in soon}  # they ended the day before
