"""Every change to a business record is audited with who, when, which unit, before/after;
the trail cannot be altered, not even with SQL through the application's connection."""
import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEntry
from tenants.organization.models import Member
from tenants.services import unit_run
from tests.conftest import api_client_for, unit_url


def test_update_through_api_is_audited_with_actor_and_diff(world, db):
    admin = api_client_for(world["A"].admin)
    member_id = world["A"].member_ids[1]
    response = admin.patch(unit_url(world["A"], f"members/{member_id}/"), {"post": "组织委员"}, format="json")
    assert response.status_code == 200
    with unit_run(world["A"].unit):
        entry = AuditEntry.objects.filter(model="organization.Member", object_id=str(member_id), action="update").latest("id")
        assert entry.actor_id == world["A"].admin.pk
        assert entry.schema == world["A"].unit.schema_name
        assert set(entry.before) == {"post", "updated_at"}  # only what changed
        assert entry.before["post"] == "Clerk" and entry.after["post"] == "组织委员"


def test_audit_rows_live_in_the_units_own_schema(world, db):
    api_client_for(world["A"].admin).patch(unit_url(world["A"], f"members/{world['A'].member_ids[1]}/"), {"post": "X"}, format="json")
    with unit_run(world["B"].unit):
        assert not AuditEntry.objects.filter(schema=world["A"].unit.schema_name).exists()


def test_delete_is_audited_with_before_state(world, db):
    admin = api_client_for(world["A"].admin)
    member_id = world["A"].member_ids[2]
    assert admin.delete(unit_url(world["A"], f"members/{member_id}/")).status_code == 204
    with unit_run(world["A"].unit):
        entry = AuditEntry.objects.get(model="organization.Member", object_id=str(member_id), action="delete")
        assert entry.before["name"] == "A Other" and entry.after is None


def test_audit_entries_cannot_be_changed_or_deleted(world, db):
    with unit_run(world["A"].unit):
        entry = AuditEntry.objects.first()
        with pytest.raises(PermissionError):
            entry.save()
        with pytest.raises(PermissionError):
            entry.delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("UPDATE audit_auditentry SET actor_label = 'forged'")
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_auditentry")
        assert not AuditEntry.objects.filter(actor_label="forged").exists()


def test_audit_api_is_for_unit_admins_only(world, db):
    assert api_client_for(world["A"].admin).get(unit_url(world["A"], "audit/")).status_code == 200
    assert api_client_for(world["A"].member).get(unit_url(world["A"], "audit/")).status_code == 403


def test_failed_change_leaves_no_audit_row(world, db):
    with unit_run(world["A"].unit):
        before = AuditEntry.objects.count()
    api_client_for(world["A"].admin).patch(unit_url(world["A"], f"members/{world['A'].member_ids[1]}/"), {"branch": world["A"].committee_id}, format="json")
    with unit_run(world["A"].unit):
        assert AuditEntry.objects.count() == before
        assert Member.objects.get(pk=world["A"].member_ids[1]).branch_id == world["A"].branch_id
