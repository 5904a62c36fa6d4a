"""Organisation tree and member roll over the API, as a unit admin, a secretary and a member."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.organization.models import Member, Organization
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url

NEW_MEMBER = {
    "name": "新党员", "gender": "female", "birth_date": "1990-03-04", "joined_on": "2015-07-01",
    "phone": "13812345678", "post": "会计", "tier": "agency_member", "is_exempt": False, "status": "active",
}


def test_unit_admin_adds_a_member_who_can_then_log_in(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "members/"), {**NEW_MEMBER, "branch": world["A"].branch_id}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["login"] == "pending"  # a login exists; the member activates it (test_identity)
    from accounts.models import UnitRole, User

    user = User.objects.get(phone="13812345678")
    assert UnitRole.objects.filter(user=user, unit=world["A"].unit, role="member").exists()


def test_member_must_belong_to_a_branch_not_a_committee(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "members/"), {**NEW_MEMBER, "branch": world["A"].committee_id}, format="json")
    assert response.status_code == 400
    assert "branch" in response.json()["error"]["fields"]
    with unit_run(world["A"].unit):
        assert not Member.objects.filter(phone="13812345678").exists()


def test_bad_member_input_gets_field_errors_and_changes_nothing(world, db):
    admin = api_client_for(world["A"].admin)
    with unit_run(world["A"].unit):
        before = Member.objects.count()
    bad = {**NEW_MEMBER, "branch": world["A"].branch_id, "birth_date": "not-a-date", "phone": "123", "name": "x" * 500, "gender": 7}
    response = admin.post(unit_url(world["A"], "members/"), bad, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"birth_date", "phone", "name", "gender"} <= set(fields)
    with unit_run(world["A"].unit):
        assert Member.objects.count() == before


def test_joining_before_eighteen_is_refused(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "members/"), {**NEW_MEMBER, "branch": world["A"].branch_id, "joined_on": "2000-01-01"}, format="json")
    assert response.status_code == 400
    assert "joined_on" in response.json()["error"]["fields"]


def test_duplicate_phone_is_refused_with_a_clear_message(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.post(unit_url(world["A"], "members/"), {**NEW_MEMBER, "branch": world["A"].branch_id, "phone": "13800000001"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"] or "non_field_errors" in response.json()["error"]["fields"]


def test_malformed_json_is_a_400(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.generic("POST", unit_url(world["A"], "members/"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_ordinary_member_sees_only_themselves_and_cannot_write(world, db):
    client = api_client_for(world["A"].member)
    names = [m["name"] for m in client.get(unit_url(world["A"], "members/")).json()["results"]]
    assert names == ["A Member"]
    response = client.post(unit_url(world["A"], "members/"), {**NEW_MEMBER, "branch": world["A"].branch_id}, format="json")
    assert response.status_code == 403


def test_secretary_sees_their_branch(world, db):
    client = api_client_for(world["A"].secretary)
    names = sorted(m["name"] for m in client.get(unit_url(world["A"], "members/")).json()["results"])
    assert names == ["A Member", "A Secretary"]
    me = client.get(unit_url(world["A"], "me/")).json()
    assert "secretary" in me["roles"] and me["secretary_of"][0]["name"] == "A Branch 1"


def test_county_admin_reads_but_cannot_write(world, db):
    client = api_client_for(world.county_admin_k1)
    listing = client.get(unit_url(world["A"], "members/"))
    assert listing.status_code == 200 and listing.json()["count"] == 3
    response = client.post(unit_url(world["A"], "organizations/"), {"name": "X", "kind": "branch"}, format="json")
    assert response.status_code == 403


def test_tree_rules_are_enforced(world, db):
    admin = api_client_for(world["A"].admin)
    group_under_committee = admin.post(unit_url(world["A"], "organizations/"), {"name": "G", "kind": "group", "parent": world["A"].committee_id}, format="json")
    assert group_under_committee.status_code == 400
    assert "parent" in group_under_committee.json()["error"]["fields"]
    ok = admin.post(unit_url(world["A"], "organizations/"), {"name": "A Branch 3", "kind": "branch", "parent": world["A"].committee_id}, format="json")
    assert ok.status_code == 201
    cycle = admin.patch(unit_url(world["A"], f"organizations/{world['A'].committee_id}/"), {"kind": "general_branch", "parent": ok.json()["id"]}, format="json")
    assert cycle.status_code == 400


def test_branch_with_members_cannot_be_deleted(world, db):
    admin = api_client_for(world["A"].admin)
    response = admin.delete(unit_url(world["A"], f"organizations/{world['A'].branch_id}/"))
    assert response.status_code == 400
    with unit_run(world["A"].unit):
        assert Organization.objects.filter(pk=world["A"].branch_id).exists()


def test_member_list_query_count_does_not_grow_with_page_size(world, db):
    admin = api_client_for(world["A"].admin)
    with unit_run(world["A"].unit):
        from datetime import date

        from tenants.organization.services import member_create

        for i in range(30):
            member_create(unit=world["A"].unit, name=f"A Extra {i}", gender="male", birth_date=date(1985, 1, 1), joined_on=date(2010, 1, 1),
                          tier="agency_member", branch=Organization.objects.get(pk=world["A"].branch_id))
    counts = []
    for size in (2, 30):
        with CaptureQueriesContext(connection) as queries:
            response = admin.get(unit_url(world["A"], f"members/?page_size={size}"))
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_me_shows_the_members_profile_with_branch_and_group_in_two_statements(world, db):
    """/me is read on every app start: the member, their branch and group's names and what
    they lead come in one statement after routing's, and equal the member serializer's output."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.organization.api.serializers import MemberSerializer
    from tenants.organization.models import Member
    from tenants.services import unit_run

    A = world["A"]
    with unit_run(A.unit):
        Member.objects.filter(user_id=A.member.pk).update(group_id=A.group_id)
        expected = MemberSerializer(Member.objects.select_related("branch", "group").get(user_id=A.member.pk)).data
    client = api_client_for(A.member)
    client.get(unit_url(A, "me/"))
    with CaptureQueriesContext(connection) as queries:
        me = client.get(unit_url(A, "me/")).json()
    assert me["member"] == dict(expected) and me["member"]["group_name"] == "A Group 1"
    assert me["member"]["branch_name"] == "A Branch 1" and me["secretary_of"] == []
    assert len([q for q in queries.captured_queries if not q["sql"].startswith("SET")]) == 2
