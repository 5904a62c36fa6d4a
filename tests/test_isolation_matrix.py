"""Isolation matrix: every endpoint, every kind of caller.

For each unit-scoped route: anonymous callers get 401 (or the login page), and the
members, admins and county admins of *other* units and counties get 404 for unit A's
objects, whatever the method; lists show nothing of another unit. For each public
route: anonymous callers see only what is public, and county admins only their county.
A route added without an entry here makes `test_every_route_is_in_the_matrix` fail.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from audit.models import AuditEntry
from jiannuo.unit_urls import urlconf_for
from tenants.services import unit_run
from tests.conftest import UnitWorld, api_client_for, console_client
from tests.pledges.support import stored_files_removed  # noqa: F401 (a fixture)


@dataclass(frozen=True)
class UnitRoute:
    path: Callable[[UnitWorld], str]  # below /api/v1/u/<unit>/ (api) or /u/<unit>/ (site)
    methods: tuple[str, ...]
    is_list: bool = False
    api: bool = True
    public: bool = False  # open to anyone (the public board): shows unit A's published data only
    public_status: int = 200  # what an anonymous caller gets at the path given


UNIT_ROUTES: dict[str, UnitRoute] = {
    "unit-me": UnitRoute(lambda w: "me/", ("GET",)),
    "organization-list": UnitRoute(lambda w: "organizations/", ("GET", "POST"), is_list=True),
    "organization-detail": UnitRoute(lambda w: f"organizations/{w.branch_id}/", ("GET", "PATCH", "PUT", "DELETE")),
    "member-list": UnitRoute(lambda w: "members/", ("GET", "POST"), is_list=True),
    "member-detail": UnitRoute(lambda w: f"members/{w.member_ids[1]}/", ("GET", "PATCH", "PUT", "DELETE")),
    "member-activation": UnitRoute(lambda w: f"members/{w.member_ids[1]}/activation/", ("POST",)),
    "member-unlock": UnitRoute(lambda w: f"members/{w.member_ids[1]}/unlock/", ("POST",)),
    "member-import": UnitRoute(lambda w: "members/import/", ("POST",)),
    "member-export": UnitRoute(lambda w: "members/export/", ("GET",)),
    "notification-list": UnitRoute(lambda w: "notifications/", ("GET",), is_list=True),
    "notification-read": UnitRoute(lambda w: "notifications/1/read/", ("POST",)),
    "notification-unread-count": UnitRoute(lambda w: "notifications/unread-count/", ("GET",)),
    "notification-read-all": UnitRoute(lambda w: "notifications/read-all/", ("POST",)),
    "notification-preferences": UnitRoute(lambda w: "notifications/preferences/", ("GET", "PATCH")),
    "notice-list": UnitRoute(lambda w: "notices/", ("GET", "POST"), is_list=True),
    "notice-detail": UnitRoute(lambda w: "notices/1/", ("GET",)),
    "notice-remind": UnitRoute(lambda w: "notices/1/remind/", ("POST",)),
    "audit-list": UnitRoute(lambda w: "audit/", ("GET",), is_list=True),
    "pledge-rules": UnitRoute(lambda w: "pledge-rules/", ("GET", "PUT", "PATCH")),
    "round-list": UnitRoute(lambda w: "rounds/", ("GET", "POST"), is_list=True),
    "round-detail": UnitRoute(lambda w: f"rounds/{w.round_id}/", ("GET", "PATCH")),
    "round-progress": UnitRoute(lambda w: f"rounds/{w.round_id}/progress/?branch={w.branch_id}", ("GET",)),
    "round-publish": UnitRoute(lambda w: f"rounds/{w.round_id}/publish/", ("POST",)),
    "round-evaluation": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/", ("GET", "POST", "PATCH")),
    "evaluation-panel": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/panels/{w.branch_id}/", ("GET", "POST")),
    "evaluation-panel-sheet": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/panels/{w.branch_id}/sheet/", ("POST",)),
    "evaluation-public-results": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/panels/{w.branch_id}/results/", ("GET",)),
    "evaluation-my-ballots": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/ballots/", ("GET",)),
    "evaluation-cast-ballot": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/ballots/peer/", ("POST",)),
    "evaluation-self": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/self/", ("GET", "PUT")),
    "evaluation-reviews": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/reviews/", ("GET", "POST")),
    "evaluation-branch-report": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/branches/{w.branch_id}/report/", ("GET", "PUT")),
    "evaluation-scores": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/scores/", ("GET",)),
    "evaluation-figures": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/figures/", ("GET",)),
    "evaluation-recompute": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/recompute/", ("POST",)),
    "evaluation-publication": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/publication/", ("GET", "PUT")),
    "evaluation-results": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/results/", ("GET",)),
    "evaluation-results-export": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/results/export/", ("GET",)),
    "evaluation-commendations": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/commendations/", ("GET", "POST")),
    "evaluation-commendation": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/commendations/{w.member_ids[1]}/", ("DELETE",)),
    "evaluation-rectifications": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/rectifications/", ("GET", "POST")),
    "evaluation-rectification-step": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/rectifications/1/steps/", ("POST",)),
    "evaluation-rectification-close": UnitRoute(lambda w: f"rounds/{w.round_id}/evaluation/rectifications/1/close/", ("POST",)),
    "pledge-list": UnitRoute(lambda w: "pledges/", ("GET", "POST"), is_list=True),
    "pledge-detail": UnitRoute(lambda w: f"pledges/{w.pledge_id}/", ("GET", "PATCH", "DELETE")),
    "pledge-submit": UnitRoute(lambda w: f"pledges/{w.pledge_id}/submit/", ("POST",)),
    "pledge-approve": UnitRoute(lambda w: f"pledges/{w.pledge_id}/approve/", ("POST",)),
    "pledge-return": UnitRoute(lambda w: f"pledges/{w.pledge_id}/return/", ("POST",)),
    "pledge-redo": UnitRoute(lambda w: f"pledges/{w.pledge_id}/redo/", ("POST",)),
    "pledge-publish": UnitRoute(lambda w: f"pledges/{w.pledge_id}/publish/", ("POST",)),
    "pledge-letter": UnitRoute(lambda w: f"pledges/{w.pledge_id}/letter/", ("GET",)),
    "item-list": UnitRoute(lambda w: "items/", ("GET",), is_list=True),
    "item-records": UnitRoute(lambda w: f"items/{w.item_id}/records/", ("GET", "POST")),
    "item-close-request": UnitRoute(lambda w: f"items/{w.item_id}/close-request/", ("POST",)),
    "item-close": UnitRoute(lambda w: f"items/{w.item_id}/close/", ("POST",)),
    "item-send-back": UnitRoute(lambda w: f"items/{w.item_id}/send-back/", ("POST",)),
    "item-rectify": UnitRoute(lambda w: f"items/{w.item_id}/rectify/", ("POST",)),
    "attachment-file": UnitRoute(lambda w: "attachments/1/", ("GET",)),  # with a real file: test_attachment_of_a_is_served_only_in_a
    "member-post-assign": UnitRoute(lambda w: f"members/{w.member_ids[1]}/post/", ("POST",)),
    "ledger-member": UnitRoute(lambda w: f"ledger/members/{w.member_ids[1]}/", ("GET",)),
    "ledger-member-export": UnitRoute(lambda w: f"ledger/members/{w.member_ids[1]}/export/", ("GET",)),
    "ledger-branch": UnitRoute(lambda w: f"ledger/branches/{w.branch_id}/", ("GET",)),
    "ledger-branch-export": UnitRoute(lambda w: f"ledger/branches/{w.branch_id}/export/", ("GET",)),
    "unit-file": UnitRoute(lambda w: "files/report.pdf", ("GET",), api=False),
    # The unit's own address: outsiders and anonymous callers are sent to the board (where each
    # of the unit's people lands: tests/jiannuo/test_routing.py).
    "unit-start": UnitRoute(lambda w: "", ("GET",), api=False, public=True, public_status=302),
    "pledge-board": UnitRoute(lambda w: "board/", ("GET",), api=False, public=True),
    "pledge-board-qr": UnitRoute(lambda w: "board/qr.svg", ("GET",), api=False, public=True),
    # An unknown link: the "used" page. A real link of A at B: tests/evaluations/test_public_form.py.
    "public-evaluation": UnitRoute(lambda w: "evaluate/not-a-link/", ("GET",), api=False, public=True, public_status=410),
    # Not published to the board in the matrix's world: 404 for everyone (a published one: tests/evaluations/test_results.py).
    "public-evaluation-results": UnitRoute(lambda w: f"evaluation/{w.round_id}/results/", ("GET",), api=False, public=True, public_status=404),
    # The console's drill-down inside the unit (its admins; read-only for its county): tests/oversight/test_console.py.
    "unit-dashboard": UnitRoute(lambda w: "dashboard/", ("GET",), api=False),
    "unit-dashboard-branch": UnitRoute(lambda w: f"dashboard/branch/{w.branch_id}/", ("GET",), api=False),
    "unit-dashboard-member": UnitRoute(lambda w: f"dashboard/member/{w.member_ids[1]}/", ("GET",), api=False),
    # The whole unit console, checked on its index, a list and a change form.
    "unitadmin:*": UnitRoute(lambda w: "admin/", ("GET",), api=False),
    "unit-inbox": UnitRoute(lambda w: "inbox/", ("GET", "POST"), api=False),
}

PUBLIC_ROUTES = {
    # name: (method, path, anonymous status)
    "home": ("GET", "/", 200),
    "healthz": ("GET", "/healthz", 200),
    "healthz-live": ("GET", "/healthz/live", 200),
    "healthz-ready": ("GET", "/healthz/ready", 200),
    # Off unless JIANNUO_METRICS_TOKEN is set; then 401 without the token: tests/jiannuo/test_metrics.py.
    "metrics": ("GET", "/metrics", 404),
    "login": ("GET", "/accounts/login/", 200),
    "logout": ("POST", "/accounts/logout/", 302),
    "set_language": ("POST", "/i18n/setlang/", 302),
    "token-obtain": ("POST", "/api/v1/auth/token/", 400),
    "token-refresh": ("POST", "/api/v1/auth/token/refresh/", 400),
    "logout-api": ("POST", "/api/v1/auth/logout/", 401),
    "password-change": ("POST", "/api/v1/auth/password/", 401),
    "activation-code": ("POST", "/api/v1/auth/code/", 400),
    "activation-redeem": ("POST", "/api/v1/auth/activate/", 400),
    "login-verify": ("GET", "/accounts/login/verify/", 302),
    "two-factor": ("GET", "/accounts/two-factor/", 302),
    "me": ("GET", "/api/v1/auth/me/", 401),
    "oversight-jurisdiction-list": ("GET", "/api/v1/oversight/jurisdictions/", 401),
    "oversight-unit-list": ("GET", "/api/v1/oversight/units/", 401),
    "oversight-unit-detail": ("GET", "/api/v1/oversight/units/unit-a/", 401),
    "oversight-rollup": ("GET", "/api/v1/oversight/rollup/", 401),
    "oversight-evaluations": ("GET", "/api/v1/oversight/evaluations/", 401),
    "oversight-campaign-list": ("GET", "/api/v1/oversight/campaigns/", 401),
    "oversight-campaign-detail": ("GET", "/api/v1/oversight/campaigns/1/", 401),
    "oversight-campaign-launch": ("POST", "/api/v1/oversight/campaigns/1/launch/", 401),
    "oversight-notice-list": ("GET", "/api/v1/oversight/notices/", 401),
    "oversight-notice-detail": ("GET", "/api/v1/oversight/notices/1/", 401),
    "oversight-notice-remind": ("POST", "/api/v1/oversight/notices/1/remind/", 401),
    "api-schema": ("GET", "/api/v1/schema/", 200),
    "api-ping": ("GET", "/api/v1/ping/", 200),
    "api-docs": ("GET", "/api/v1/docs/", 200),
    "api-redoc": ("GET", "/api/v1/redoc/", 200),
    "platformadmin:*": ("GET", "/admin/", 302),
    "county-console": ("GET", "/county/", 302),
    "county-console-unit": ("GET", "/county/units/unit-a/", 302),
    "county-console-notices": ("GET", "/county/notices/", 302),
    "county-console-notice": ("GET", "/county/notices/1/", 302),
}


def _route_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("unitadmin", "platformadmin"):
                names.add(f"{pattern.namespace}:*")
                continue
            names |= _route_names(pattern.url_patterns, namespace)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"unnamed route {pattern.pattern}: name it and add it to the isolation matrix"
            names.add(pattern.name)
    return names


def test_every_route_is_in_the_matrix():
    from jiannuo.urls import public_urlpatterns

    unit_names = _route_names(get_resolver(urlconf_for("unit-a")).url_patterns) - _route_names(public_urlpatterns)
    assert unit_names == set(UNIT_ROUTES), "unit routes and the matrix differ"
    assert _route_names(public_urlpatterns) == set(PUBLIC_ROUTES), "public routes and the matrix differ"


def _full_path(world, route: UnitRoute, unit_key: str, object_owner: str | None = None) -> str:
    owner = world[object_owner or unit_key]
    prefix = f"/api/v1/u/{world[unit_key].unit.slug}/" if route.api else f"/u/{world[unit_key].unit.slug}/"
    return prefix + route.path(owner)


def _call(client, method: str, path: str):
    return getattr(client, method.lower())(path, {}, format="json") if method != "GET" else client.get(path)


OUTSIDERS = {
    "member of unit B": lambda w: w["B"].member,
    "secretary of unit B": lambda w: w["B"].secretary,
    "admin of unit B": lambda w: w["B"].admin,
    "county admin of K2": lambda w: w.county_admin_k2,
    "user with no role": lambda w: w.outsider,
}


PRIVATE_ROUTES = sorted(n for n, r in UNIT_ROUTES.items() if not r.public)


@pytest.mark.parametrize("name", PRIVATE_ROUTES)
@pytest.mark.parametrize("who", sorted(OUTSIDERS))
def test_outsiders_get_404_for_unit_a(world, db, name, who):
    route = UNIT_ROUTES[name]
    user = OUTSIDERS[who](world)
    with unit_run(world["A"].unit):
        audit_before = AuditEntry.objects.count()
    for method in route.methods:
        path = _full_path(world, route, "A")
        if route.api:
            response = _call(api_client_for(user), method, path)
        else:
            browser = Client()
            browser = console_client(user)
            response = browser.get(path)
        assert response.status_code == 404, (method, path, response.status_code)
    with unit_run(world["A"].unit):
        assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize("name", PRIVATE_ROUTES)
def test_anonymous_is_refused_unit_routes(world, db, name):
    route = UNIT_ROUTES[name]
    for method in route.methods:
        path = _full_path(world, route, "A")
        if route.api:
            response = _call(api_client_for(None), method, path)
            assert response.status_code == 401, (method, path)
        else:
            response = Client().get(path)
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


LIST_SHOWS = {"audit-list": "A Committee", "notification-list": "A notice", "notice-list": "A notice", "round-list": "A Round"}


@pytest.mark.parametrize("name", sorted(n for n, r in UNIT_ROUTES.items() if r.is_list))
@pytest.mark.parametrize("who", ["admin", "secretary", "member"])
def test_lists_show_nothing_of_another_unit(world, db, name, who):
    from notifications.services import notice_send, notify, outbox_deliver_pending
    from tenants.organization.caller import caller_for

    for key in "AB":  # give every list something to show in both units
        with unit_run(world[key].unit):
            notify(recipient_ids=[getattr(world[key], who).pk], title=f"{key} notice")
            if who != "member":  # an announcement of their own (members send none)
                audience = {"kind": "unit"} if who == "admin" else {"kind": "organisations", "organisations": [world[key].branch_id]}
                notice_send(who=caller_for(user_id=getattr(world[key], who).pk, is_unit_admin=who == "admin"), title=f"{key} notice", audience=audience)
            outbox_deliver_pending()
    route = UNIT_ROUTES[name]
    client = api_client_for(getattr(world["A"], who))
    response = client.get(_full_path(world, route, "A"))
    if response.status_code == 403:
        assert who != "admin"
        return
    text = response.content.decode()
    assert response.status_code == 200
    body = response.json()
    assert body["results"] if isinstance(body, dict) else body, name  # something of unit A is shown: the check below is not vacuous
    assert LIST_SHOWS.get(name, "A ") in text, (name, text[:300])
    for leak in ("B Member", "B Branch", "B Secretary", "B notice", "u_unit_b", "B pledge item", "B Round"):
        assert leak not in text, (name, leak)


@pytest.mark.parametrize("name", sorted(n for n, r in UNIT_ROUTES.items() if r.public))
@pytest.mark.parametrize("who", ["anonymous", *sorted(OUTSIDERS)])
def test_public_unit_pages_show_only_that_units_published_data(world, db, name, who):
    browser = Client()
    if who != "anonymous":
        browser = console_client(OUTSIDERS[who](world))
    route = UNIT_ROUTES[name]
    response = browser.get(_full_path(world, route, "A"))
    assert response.status_code == route.public_status
    text = response.content.decode()
    for leak in ("B pledge item", "B Member", "B Branch", "u_unit_b", "unit-b", "1380000"):
        assert leak not in text, (name, leak)
    if name == "pledge-board":
        assert "A pledge item 1" in text


def test_the_worlds_units_share_no_ids(world):
    assert set(world["A"].member_ids).isdisjoint(world["B"].member_ids)
    assert world["A"].pledge_id != world["B"].pledge_id and world["A"].branch_id != world["B"].branch_id


# What unit A's admin must see on each object's page (a positive check, not just "it rendered").
OBJECT_SHOWS = {
    "member-detail": "A Member", "organization-detail": "A Branch 1", "round-detail": "A Round",
    "round-progress": "A Branch 1", "pledge-detail": "A pledge item", "pledge-letter": None,
    "item-records": '"results"', "ledger-member": "A pledge item", "ledger-branch": "A pledge item",
}


@pytest.mark.parametrize("name", sorted(OBJECT_SHOWS))
def test_an_id_means_something_only_in_its_own_unit(world, db, name):
    route = UNIT_ROUTES[name]
    own_b = api_client_for(world["B"].admin).get(_full_path(world, route, "B"))
    assert own_b.status_code == 200  # the object exists, in B
    assert api_client_for(world["A"].admin).get(_full_path(world, route, "A", object_owner="B")).status_code == 404
    assert api_client_for(world["B"].admin).get(_full_path(world, route, "B", object_owner="A")).status_code == 404
    shown = api_client_for(world["A"].admin).get(_full_path(world, route, "A"))
    assert shown.status_code == 200
    if OBJECT_SHOWS[name]:
        text = shown.content.decode()
        assert OBJECT_SHOWS[name] in text, text[:300]
        for leak in ("B Member", "B Branch", "B pledge item", "B Round"):
            assert leak not in text


def _attachment_of(unit_world):
    from tests.pledges.support import attachment_on_record

    with unit_run(unit_world.unit):
        return attachment_on_record(unit_world, content=f"%PDF-1.4 secret of {unit_world.key}".encode(), name="报告.pdf",
                                    content_type="application/pdf")


@pytest.mark.parametrize("who", sorted(OUTSIDERS))
def test_attachment_of_a_is_served_only_in_a(world, db, stored_files_removed, who):
    a_file, b_file = _attachment_of(world["A"]), _attachment_of(world["B"])
    assert a_file.pk != b_file.pk  # B's ids start at 1001: an id of A names nothing in B
    own = api_client_for(world["A"].member).get(f"/api/v1/u/unit-a/attachments/{a_file.pk}/")
    assert own.status_code == 200 and b"secret of A" in b"".join(own.streaming_content)  # the file is there to leak
    outsider = api_client_for(OUTSIDERS[who](world))
    for size in ("", "?size=thumb"):
        response = outsider.get(f"/api/v1/u/unit-a/attachments/{a_file.pk}/{size}")
        assert response.status_code == 404 and b"secret" not in response.content, (who, size)
    # Unit B's people at their own address, with unit A's id: nothing (and B's own file is served to them).
    b_admin = api_client_for(world["B"].admin)
    assert b_admin.get(f"/api/v1/u/unit-b/attachments/{a_file.pk}/").status_code == 404
    assert b"secret of B" in b"".join(b_admin.get(f"/api/v1/u/unit-b/attachments/{b_file.pk}/").streaming_content)
    assert api_client_for(world["A"].admin).get(f"/api/v1/u/unit-a/attachments/{b_file.pk}/").status_code == 404


def test_unit_file_of_a_is_not_served_through_b(world, db, stored_files_removed):
    """The old file address (/u/<unit>/files/<stored name>) leads only to the unit's own files."""
    a_file = _attachment_of(world["A"])
    name = a_file.file.name
    browser = console_client(world["A"].admin)
    own = browser.get(f"/u/unit-a/files/{name}", follow=True)
    assert own.status_code == 200 and b"secret of A" in b"".join(own.streaming_content)
    browser = console_client(world["B"].admin)
    assert browser.get(f"/u/unit-b/files/{name}").status_code == 404
    assert browser.get(f"/u/unit-b/files/../u_unit_a/{name}").status_code == 404
    assert browser.get(f"/u/unit-a/files/{name}").status_code == 404


@pytest.mark.parametrize("name", sorted(PUBLIC_ROUTES))
def test_public_routes_for_anonymous_callers(world, db, name):
    method, path, expected = PUBLIC_ROUTES[name]
    response = _call(api_client_for(None), method, path)
    assert response.status_code == expected, (path, response.status_code)
    assert b"A Member" not in response.content and b"unit-a" not in response.content


def test_platform_console_shows_county_admin_only_their_units(world, db):
    browser = Client()
    browser = console_client(world.county_admin_k2)
    page = browser.get("/admin/tenants/unit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Unit C" in text and "Unit A" not in text
    assert browser.get(f"/admin/tenants/unit/{world['A'].unit.pk}/change/").status_code in (302, 404)
    browser = console_client(world["A"].admin)
    assert browser.get("/admin/").status_code == 302


def test_unit_console_pages_stay_in_their_unit(world, db):
    browser = Client()
    browser = console_client(world["A"].admin)
    pages = [
        "/u/unit-a/admin/",
        "/u/unit-a/admin/organization/member/",
        f"/u/unit-a/admin/organization/member/{world['A'].member_ids[1]}/change/",
        "/u/unit-a/admin/organization/organization/",
        "/u/unit-a/admin/audit/auditentry/",
        "/u/unit-a/admin/pledges/round/",
        f"/u/unit-a/admin/pledges/round/{world['A'].round_id}/change/",
        "/u/unit-a/admin/pledges/pledge/",
        f"/u/unit-a/admin/pledges/pledge/{world['A'].pledge_id}/change/",
        "/u/unit-a/admin/pledges/pledgeitem/",
        "/u/unit-a/admin/pledges/progressrecord/",
        "/u/unit-a/admin/pledges/bulletin/",
    ]
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 200, page
        text = response.content.decode()
        assert "B Member" not in text and "B Branch" not in text


def test_county_console_shows_a_county_admin_only_their_county(world, db):
    from oversight.services import unit_figures_refresh

    for key in "AC":
        with unit_run(world[key].unit):
            unit_figures_refresh()
    browser = console_client(world.county_admin_k2)
    page = browser.get("/county/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Unit C" in text and "Unit A" not in text and "unit-a" not in text
    for path in ("/county/units/unit-a/", "/county/units/unit-a/?export=branches", "/u/unit-a/dashboard/"):
        assert browser.get(path).status_code == 404, path
    for who in (world["A"].admin, world["A"].member, world.outsider):  # no jurisdiction: no county console
        assert console_client(who).get("/county/").status_code == 404
