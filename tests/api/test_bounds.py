"""Hostile input over HTTP, through the embedded app: every input has a bound, a value past it
is a 422 (400 for a header or a cursor) problem naming the field, the rule and its limit, and
nothing answers 500.

Each class starts from a finding: what the service did with that input before it had bounds.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from services import embedded
from shared.parameters import parameters_on
from tests.api.api_client import ADMIN_KEY, PROBLEM_JSON, Api, api_settings, assert_problem
from tests.kit.live_server import serving

Json = dict[str, Any]
CEILING = 1_000_000_000  # [limits] max_amount_cents in shared/parameters.toml
# The text bounds, as the OpenAPI document states them (services/contracts/schemas.py).
NAME_MAX = 100
CLIENT_NAME_MAX = 200
EMAIL_MAX = 254
ADDRESS_MAX = 500
DESCRIPTION_MAX = 1000
EXPENSE_DESCRIPTION_MAX = 200
REASON_MAX = 500
TOKEN_MAX = 64


def ids(member: Json, client: Json) -> tuple[str, str]:
    return member["member_id"], client["client_id"]


def assert_bound(
    response: Any, field: str, rule: str, limit: int | str | None = None, status: int = 422
) -> Json:
    """A validation problem whose errors name `field` with `rule` (and `limit`, when given)."""
    code = "validation-error" if status == 422 else "invalid-cursor"
    problem = assert_problem(response, status, code, field=field)
    [error] = [e for e in problem["errors"] if e["field"] == field]
    assert error["rule"] == rule, error
    if limit is not None:
        assert error["limit"] == limit, error
    return error


def raw_post(api: Api, path: str, body: bytes, **headers: str) -> Any:
    all_headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
    return api.client.post(path, content=body, headers=all_headers | headers)


# -- money ----------------------------------------------------------------------------------------


class TestMoney:
    """Before: 10**30 answered 500 (decimal.InvalidOperation while rounding); 10**19 was
    accepted, appended, and the contracts list projection then failed on it for good (SQLite
    INTEGER overflow)."""

    @pytest.mark.parametrize("amount", [10**30, 10**19, CEILING + 1], ids=["1e30", "1e19", "+1"])
    def test_a_price_over_the_ceiling_is_refused(
        self, api: Api, member: Json, client: Json, amount: int
    ) -> None:
        response = api.try_encode(*ids(member, client), amount_excl_vat_cents=amount)

        assert_bound(response, "amount_excl_vat_cents", "less_than_equal", CEILING)

    def test_a_price_at_the_ceiling_is_encoded_and_listed(
        self, api: Api, member: Json, client: Json
    ) -> None:
        refused = api.try_encode(*ids(member, client), amount_excl_vat_cents=10**19)
        body = api.encode(*ids(member, client), amount_excl_vat_cents=CEILING)

        params = {"member_id": member["member_id"], "min_position": body["position"]}
        listed = api.get("/v1/prestations", params=params)["items"]
        assert refused.status_code == 422
        assert [p["amount_excl_vat_cents"] for p in listed] == [CEILING]
        assert listed[0]["total_cents"] == CEILING + CEILING * 21 // 100

    @pytest.mark.parametrize("amount", [10**30, CEILING + 1, -1], ids=["1e30", "+1", "-1"])
    def test_an_expense_out_of_range_is_refused(
        self, api: Api, member: Json, client: Json, amount: int
    ) -> None:
        expenses = [{"description": "train", "amount_cents": amount}]

        response = api.try_encode(*ids(member, client), expenses=expenses)

        rule = "greater_than_equal" if amount < 0 else "less_than_equal"
        assert_bound(response, "expenses[0].amount_cents", rule, 0 if amount < 0 else CEILING)

    def test_the_sum_of_the_expenses_is_bounded(self, api: Api, member: Json, client: Json) -> None:
        expenses = [{"description": "gear", "amount_cents": CEILING // 2 + 1}] * 2

        response = api.try_encode(*ids(member, client), expenses=expenses)

        assert_bound(response, "expenses", "sum_less_than_equal", CEILING)

    def test_the_expense_lines_are_bounded(self, api: Api, member: Json, client: Json) -> None:
        expenses = [{"description": "bus", "amount_cents": 100}] * 101

        response = api.try_encode(*ids(member, client), expenses=expenses)

        assert_bound(response, "expenses", "too_long", 100)


# -- rates ----------------------------------------------------------------------------------------


class TestRates:
    """Before: vat_rate "1e999999999" answered 500 (decimal.Overflow dividing it by 100)."""

    @pytest.mark.parametrize(
        "rate", ["1e999999999", "abc", "-21", "²", "21.125", "2100", "21e0", " ", "1" * 5000]
    )
    @pytest.mark.parametrize("field", ["vat_rate", "withholding_rate"])
    def test_a_rate_that_is_not_a_plain_percentage_is_refused(
        self, api: Api, member: Json, client: Json, field: str, rate: str
    ) -> None:
        overrides: Json = {field: rate}
        response = api.try_encode(*ids(member, client), **overrides)

        assert_bound(response, field, "string_pattern_mismatch", r"^[0-9]{1,3}(\.[0-9]{1,2})?$")

    @pytest.mark.parametrize(
        ("vat", "withholding", "shown"),
        [("21.0", "22.50", ("21", "22.5")), (21, 0, ("21", "0")), ("06", "99.99", ("6", "99.99"))],
    )
    def test_every_rate_the_domain_takes_is_still_taken(
        self,
        api: Api,
        member: Json,
        client: Json,
        vat: object,
        withholding: object,
        shown: tuple[str, str],
    ) -> None:
        body = api.encode(*ids(member, client), vat_rate=vat, withholding_rate=withholding)

        assert (body["vat_rate"], body["withholding_rate"]) == shown

    def test_rates_out_of_the_domain_keep_their_own_problem(
        self, api: Api, member: Json, client: Json
    ) -> None:
        vat = api.try_encode(*ids(member, client), vat_rate="15")
        withholding = api.try_encode(*ids(member, client), withholding_rate="100")

        assert_problem(vat, 422, "invalid-vat-rate", field="vat_rate")
        assert_problem(withholding, 422, "invalid-withholding-rate", field="withholding_rate")


# -- hours and days -------------------------------------------------------------------------------


def day(offset: int, hours: object = 8) -> Json:
    return {"date": (date(2026, 3, 10) + timedelta(days=offset)).isoformat(), "hours": hours}


class TestHoursAndDays:
    """Before: hours -1e30 answered 500 (decimal.InvalidOperation quantizing it); 30,000 days
    up to 2108 were accepted."""

    @pytest.mark.parametrize(
        ("hours", "rule", "limit"),
        [
            (-1e30, "greater_than", 0),
            (0, "greater_than", 0),
            (-1, "greater_than", 0),
            (24.01, "less_than_equal", 24),
            (25, "less_than_equal", 24),
            ("1e999999999", "less_than_equal", 24),
            (7.333, "decimal_max_places", 2),
            ("1e-999999999", "decimal_max_places", 2),
            ("NaN", "finite_number", None),
        ],
    )
    def test_hours_out_of_a_day_are_refused(
        self, api: Api, member: Json, client: Json, hours: object, rule: str, limit: int | None
    ) -> None:
        response = api.try_encode(*ids(member, client), days=[day(0, hours)])

        assert_bound(response, "days[0].hours", rule, limit)

    @pytest.mark.parametrize("hours", [2, 2.99, 0.01])
    def test_hours_under_the_minimum_work_period_keep_their_own_problem(
        self, api: Api, member: Json, client: Json, hours: float
    ) -> None:
        response = api.try_encode(*ids(member, client), days=[day(0, hours)])

        assert_problem(response, 422, "minimum-hours", field="days[0].hours")

    def test_30000_days_are_refused(self, api: Api, member: Json, client: Json) -> None:
        body = api.prestation_body(*ids(member, client), days=[day(n) for n in range(30_000)])
        encoded = json.dumps(body, separators=(",", ":")).encode()
        assert len(encoded) < 1024 * 1024  # under the body limit: the schema refuses it

        response = raw_post(api, "/v1/prestations", encoded)

        assert_bound(response, "days", "too_long", 366)

    def test_367_days_are_refused(self, api: Api, member: Json, client: Json) -> None:
        response = api.try_encode(*ids(member, client), days=[day(n) for n in range(367)])

        assert_bound(response, "days", "too_long", 366)

    def test_the_days_lie_within_one_year(self, api: Api, member: Json, client: Json) -> None:
        response = api.try_encode(*ids(member, client), days=[day(0), day(366)])

        assert_bound(response, "days", "span_too_long", 366)

    def test_a_year_of_days_is_taken(self, api: Api, member: Json, client: Json) -> None:
        days = [day(0), day(365)]  # 366 days from the first to the last, both included

        body = api.encode(*ids(member, client), days=days, amount_excl_vat_cents=200_000)

        assert (body["first_day"], body["last_day"]) == ("2026-03-10", "2027-03-10")

    def test_an_amendment_has_the_same_bounds(self, api: Api, quoted: Json) -> None:
        path = f"/v1/prestations/{quoted['prestation_id']}/amend"

        too_many = api.request("POST", path, json={"days": [day(n) for n in range(367)]})
        too_long = api.request("POST", path, json={"days": [day(0, -1e30)]})

        assert_bound(too_many, "days", "too_long", 366)
        assert_bound(too_long, "days[0].hours", "greater_than", 0)

    def test_a_date_twice_keeps_its_own_problem(self, api: Api, member: Json, client: Json) -> None:
        response = api.try_encode(*ids(member, client), days=[day(0), day(0)])

        assert_problem(response, 422, "invalid-days", field="days[1].date")


# -- text -----------------------------------------------------------------------------------------


def too_long(size: int) -> str:
    return "x" * (size + 1)


class TestText:
    """Before: a 5 MB description was accepted (and printed on every document)."""

    @pytest.mark.parametrize(
        ("field", "limit"),
        [
            ("first_name", NAME_MAX),
            ("last_name", NAME_MAX),
            ("email", EMAIL_MAX),
            ("niss", 20),
            ("iban", 42),
            ("bic", 14),
            ("address", ADDRESS_MAX),
        ],
    )
    def test_member_fields(self, api: Api, field: str, limit: int) -> None:
        body = api.member_body(**{field: too_long(limit)})

        response = api.request("POST", "/v1/members", json=body)

        assert_bound(response, field, "string_too_long", limit)

    @pytest.mark.parametrize(
        ("field", "limit"),
        [
            ("name", CLIENT_NAME_MAX),
            ("email", EMAIL_MAX),
            ("vat_number", 20),
            ("address", ADDRESS_MAX),
        ],
    )
    def test_client_fields(self, api: Api, field: str, limit: int) -> None:
        body = api.client_body(**{field: too_long(limit)})

        response = api.request("POST", "/v1/clients", json=body)

        assert_bound(response, field, "string_too_long", limit)

    def test_corrections_have_the_same_bounds(self, api: Api, member: Json, client: Json) -> None:
        member_path = f"/v1/members/{member['member_id']}"
        client_path = f"/v1/clients/{client['client_id']}"

        first_name = api.request("PATCH", member_path, json={"first_name": too_long(NAME_MAX)})
        name = api.request("PATCH", client_path, json={"name": too_long(CLIENT_NAME_MAX)})

        assert_bound(first_name, "first_name", "string_too_long", NAME_MAX)
        assert_bound(name, "name", "string_too_long", CLIENT_NAME_MAX)

    def test_the_longest_names_and_email_are_taken(self, api: Api) -> None:
        email = "a" * (EMAIL_MAX - len("@example.be")) + "@example.be"

        body = api.register_member(first_name="A" * NAME_MAX, email=email)

        assert (len(body["first_name"]), len(body["email"])) == (NAME_MAX, EMAIL_MAX)

    @pytest.mark.parametrize(
        ("overrides", "field", "limit"),
        [
            ({"description": too_long(DESCRIPTION_MAX)}, "description", DESCRIPTION_MAX),
            (
                {
                    "expenses": [
                        {"description": too_long(EXPENSE_DESCRIPTION_MAX), "amount_cents": 1}
                    ]
                },
                "expenses[0].description",
                EXPENSE_DESCRIPTION_MAX,
            ),
            ({"member_id": too_long(64)}, "member_id", 64),
            ({"client_id": too_long(64)}, "client_id", 64),
        ],
    )
    def test_prestation_fields(
        self, api: Api, member: Json, client: Json, overrides: Json, field: str, limit: int
    ) -> None:
        response = api.try_encode(*ids(member, client), **overrides)

        assert_bound(response, field, "string_too_long", limit)

    def test_reasons_and_tokens(self, api: Api, quoted: Json) -> None:
        quote_id = quoted["quote"]["quote_id"]

        reason = api.request(
            "POST",
            f"/v1/prestations/{quoted['prestation_id']}/cancel",
            json={"reason": too_long(REASON_MAX)},
        )
        token = api.reject(quote_id, too_long(TOKEN_MAX))
        answer_reason = api.reject(quote_id, None, key=ADMIN_KEY, reason=too_long(REASON_MAX))

        assert_bound(reason, "reason", "string_too_long", REASON_MAX)
        assert_bound(token, "acceptance_token", "string_too_long", TOKEN_MAX)
        assert_bound(answer_reason, "reason", "string_too_long", REASON_MAX)

    def test_a_5_mb_description_is_over_the_body_limit(
        self, api: Api, member: Json, client: Json
    ) -> None:
        response = api.try_encode(*ids(member, client), description="x" * 5_000_000)

        assert_problem(response, 413, "content-too-large")


# -- the body -------------------------------------------------------------------------------------


class TestBodyLimit:
    """Before: the server took a body of any size."""

    def test_a_body_over_one_mebibyte_is_refused(self, api: Api) -> None:
        response = raw_post(api, "/v1/members", b" " * (1024 * 1024 + 1))

        problem = assert_problem(response, 413, "content-too-large")
        assert "1048576 bytes" in problem["detail"]

    def test_a_chunked_body_is_counted_too(self, api: Api) -> None:
        def chunks() -> Any:
            yield b" " * (1024 * 1024 + 1)

        all_headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
        response = api.client.post("/v1/members", content=chunks(), headers=all_headers)

        assert_problem(response, 413, "content-too-large")

    def test_a_body_under_the_limit_is_read(self, api: Api) -> None:
        body = json.dumps(api.member_body()).encode() + b" " * (1024 * 1024 - 1000)

        response = raw_post(api, "/v1/members", body)

        assert response.status_code == 201, response.text


# -- cursors and If-Match -------------------------------------------------------------------------

HOSTILE_NUMBERS = ["²", "1" * 5000, "9" * 19, "-1", "٣"]


def raw(header: str) -> bytes:
    # HTTP headers are bytes: "²" arrives as the latin-1 byte 0xB2, which Starlette decodes
    # back to "²"; a character beyond latin-1 can only come as UTF-8 bytes.
    try:
        return header.encode("latin-1")
    except UnicodeEncodeError:
        return header.encode()


class TestCursorsAndIfMatch:
    """Before: a cursor of "²" or of 5,000 digits, and `If-Match: ²`, answered 500
    (`str.isdigit()` accepts "²", `int()` does not)."""

    @pytest.mark.parametrize("cursor", HOSTILE_NUMBERS, ids=range(len(HOSTILE_NUMBERS)))
    @pytest.mark.parametrize(
        "path", ["/v1/prestations", "/v1/members", "/v1/clients", "/v1/employment-contracts"]
    )
    def test_a_cursor_that_is_not_one_is_a_bad_request(
        self, api: Api, path: str, cursor: str
    ) -> None:
        response = api.request("GET", path, params={"cursor": cursor})

        problem = assert_problem(response, 400, "invalid-cursor", field="cursor")
        assert len(response.text) < 1000 and problem["errors"][0]["rule"] == "invalid-cursor"

    def test_the_cursors_handed_out_still_work(self, api: Api, member: Json) -> None:
        params = {"limit": 1, "min_position": api.store.head()}
        first = api.get("/v1/members", params=params)

        second = api.get("/v1/members", params={"limit": 1, "cursor": first["next_cursor"]})

        assert first["items"] != second["items"]

    @pytest.mark.parametrize("etag", HOSTILE_NUMBERS, ids=range(len(HOSTILE_NUMBERS)))
    def test_an_if_match_that_is_not_an_etag_is_a_bad_request(
        self, api: Api, member: Json, quoted: Json, etag: str
    ) -> None:
        auth = [("Authorization", f"Bearer {ADMIN_KEY}")]
        paths = [
            ("PATCH", f"/v1/members/{member['member_id']}", {"first_name": "Ada"}),
            ("POST", f"/v1/prestations/{quoted['prestation_id']}/cancel", {}),
        ]
        for method, path, body in paths:
            for header in (etag, f'"{etag}"', f'W/"{etag}"'):
                response = api.client.request(
                    method, path, json=body, headers=[*auth, ("If-Match", raw(header))]
                )

                assert_problem(response, 400, "invalid-if-match", field="If-Match")
        assert api.prestation(quoted["prestation_id"])["status"] == "quoted"

    def test_over_a_real_server_an_if_match_of_superscript_two_is_a_bad_request(
        self, tmp_path: Path
    ) -> None:
        """HTTP clients send "²" as the latin-1 byte 0xB2 (the test client cannot), which the
        server reads back as "²": `str.isdigit()` said yes and `int()` failed."""
        app = embedded.create_app(api_settings(tmp_path))
        with serving(app, lifespan=True) as (host, port):
            auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
            with httpx.Client(base_url=f"http://{host}:{port}", headers=auth) as http:
                member = http.post("/v1/members", json=Api.member_body()).json()
                path = f"/v1/members/{member['member_id']}"
                answers = [
                    http.patch(path, json={"first_name": "Ada"}, headers=[(b"If-Match", etag)])
                    for etag in (b"\xb2", b'"\xb2"', b'W/"\xb2"')
                ]
                after = http.get(path)
        for answer in answers:
            assert_problem(answer, 400, "invalid-if-match", field="If-Match")
        assert after.status_code == 200 and after.json()["first_name"] == "Ana"

    def test_a_weak_etag_is_taken(self, api: Api, member: Json) -> None:
        path = f"/v1/members/{member['member_id']}"

        response = api.request(
            "PATCH", path, json={"first_name": "Ada"}, headers={"If-Match": 'W/"0"'}
        )

        assert response.status_code == 200, response.text


# -- the minimum wage valid on the day ------------------------------------------------------------


class TestMinimumWageByDate:
    """DOMAIN.md §2 and §8: the short gig (HTVA 150, one day) on each side of the 2026 changes."""

    @pytest.mark.parametrize(
        ("worked_on", "hours", "daily_minimum"),
        [("2025-12-31", 7.48, 9747), ("2026-01-01", 7.33, 9942), ("2026-04-01", 7.21, 10107)],
    )
    def test_150_euros_for_a_day(
        self,
        api: Api,
        member: Json,
        client: Json,
        worked_on: str,
        hours: float,
        daily_minimum: int,
    ) -> None:
        api.set_today("2025-12-29")
        days = [{"date": worked_on, "hours": 8}]

        body = api.encode(*ids(member, client), days=days, amount_excl_vat_cents=15000)

        contract = body["employment_contract"]
        assert contract["less_than_a_day"] is True
        assert contract["days"] == [{"date": worked_on, "hours": hours}]
        assert contract["daily_minimum_cents"] == daily_minimum

    @pytest.mark.parametrize("worked_on", ["2025-12-31", "2026-01-01", "2026-04-01"])
    def test_50_euros_for_a_day_are_refused(
        self, api: Api, member: Json, client: Json, worked_on: str
    ) -> None:
        api.set_today("2025-12-29")
        days = [{"date": worked_on, "hours": 8}]

        response = api.try_encode(*ids(member, client), days=days, amount_excl_vat_cents=5000)

        assert_problem(response, 422, "below-minimum-wage", field="amount_excl_vat_cents")

    def test_a_prestation_across_2026_04_01_pays_each_day_its_own_minimum(
        self, api: Api, member: Json, client: Json
    ) -> None:
        """Gross 100.01 a day: a full day on 03-31 (minimum 99.42), under the minimum of 04-01
        (101.07), where it is a contract of 100.01 / 13.2984 = 7.52 h."""
        api.set_today("2026-03-30")
        days = [{"date": "2026-03-31", "hours": 8}, {"date": "2026-04-01", "hours": 8}]

        body = api.encode(*ids(member, client), days=days, amount_excl_vat_cents=31290)

        contract = body["employment_contract"]
        gross_per_day = contract["gross_per_day_cents"]
        assert gross_per_day == 10001
        for worked in contract["days"]:
            params = parameters_on(date.fromisoformat(worked["date"]))
            if worked["hours"] == 8:  # a full day: paid at least that day's daily minimum
                assert gross_per_day >= params.daily_minimum_cents, worked
            else:  # a contract of less than a day: each hour at least that day's hourly one
                paid_per_hour = Decimal(gross_per_day) / 100 / Decimal(str(worked["hours"]))
                assert paid_per_hour >= params.hourly_minimum - Decimal("0.01"), worked


def test_no_hostile_input_of_this_module_answered_500(api: Api) -> None:
    """The app's metrics count every answer: none of the requests above was a server error."""
    metrics = api.client.get("/metrics").text
    server_errors = [
        line
        for line in metrics.splitlines()
        if line.startswith("http_requests_total{") and 'status="5' in line
    ]
    assert server_errors == []
    assert PROBLEM_JSON  # the problems above were all problem+json (checked by assert_problem)


def test_the_openapi_document_states_every_bound(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    def prop(model: str, name: str) -> Json:
        found: Json = schemas[model]["properties"][name]
        return next((s for s in found.get("anyOf", []) if s.get("type") != "null"), found)

    amount = prop("PrestationIn", "amount_excl_vat_cents")
    assert (amount["minimum"], amount["maximum"]) == (0, CEILING)
    assert prop("ExpenseIn", "amount_cents")["maximum"] == CEILING
    assert prop("PrestationIn", "expenses")["maxItems"] == 100
    assert prop("PrestationIn", "days")["maxItems"] == 366
    assert prop("PrestationIn", "description")["maxLength"] == DESCRIPTION_MAX
    for rate in ("vat_rate", "withholding_rate"):
        assert prop("PrestationIn", rate)["pattern"] == r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
    hours = prop("DayIn", "hours")
    assert (hours["exclusiveMinimum"], hours["maximum"]) == (0, 24)
    assert prop("MemberIn", "email")["maxLength"] == EMAIL_MAX
    assert prop("MemberPatch", "first_name")["maxLength"] == NAME_MAX
    assert prop("ClientIn", "name")["maxLength"] == CLIENT_NAME_MAX
    assert prop("QuoteAnswerIn", "acceptance_token")["maxLength"] == TOKEN_MAX
    assert prop("ReasonIn", "reason")["maxLength"] == REASON_MAX
    responses = document["paths"]["/v1/prestations"]["post"]["responses"]
    assert PROBLEM_JSON in responses["413"]["content"]
    assert schemas["FieldProblem"]["properties"]["limit"]
