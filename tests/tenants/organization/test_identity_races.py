"""Two units enrol the same new mobile number at the same moment: one gets the new
identity, the other a pending link; never two units on an identity nobody confirmed.
Runs on committed data in real parallel transactions."""
from __future__ import annotations

import threading
from datetime import date

from django.db import connection

from accounts.models import PendingLink, UnitRole, User
from tenants.organization.models import Member, Organization
from tenants.organization.services import member_create
from tenants.services import unit_run

PHONE = "13799990000"


def _enrol_at_once(units) -> list[str]:
    barrier = threading.Barrier(len(units))
    outcomes = [""] * len(units)

    def run(index, unit_world):
        try:
            with unit_run(unit_world.unit):
                branch = Organization.objects.get(pk=unit_world.branch_id)
                barrier.wait(timeout=10)
                member_create(unit=unit_world.unit, name="同时登记", gender="male", birth_date=date(1990, 1, 1),
                              joined_on=date(2015, 7, 1), phone=PHONE, tier="agency_member", branch=branch)
                outcomes[index] = "ok"
        except Exception as exc:  # reported, so the test shows what went wrong
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(units)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_units_enrolling_one_new_number_at_once(world, django_db_blocker):
    units = [world["A"], world["C"]]  # different counties
    with django_db_blocker.unblock():
        try:
            assert _enrol_at_once(units) == ["ok", "ok"]
            connection.set_schema_to_public()
            assert User.objects.filter(phone=PHONE).count() == 1
            identity = User.objects.get(phone=PHONE)
            linked = []
            for unit_world in units:
                with unit_run(unit_world.unit):
                    linked.append(Member.objects.get(phone=PHONE).user_id)
            assert sorted(linked, key=lambda v: v is None) == [identity.pk, None]
            assert UnitRole.objects.filter(user=identity).count() == 1
            assert PendingLink.objects.filter(phone=PHONE).count() == 1
        finally:
            for unit_world in units:
                with unit_run(unit_world.unit):
                    Member.objects.filter(phone=PHONE).delete()
            connection.set_schema_to_public()
            PendingLink.objects.filter(phone=PHONE).delete()
            User.objects.filter(phone=PHONE).delete()
