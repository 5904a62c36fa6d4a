"""Two people acting on the same pledge at the same moment: one wins, the other is told
why, and nothing is half-saved or doubled. Runs on committed data in real transactions."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from notifications.models import OutboxMessage
from pledges import services
from pledges.models import Pledge, PledgeEvent, PledgeItem, Round
from tenants.services import unit_run

from .support import IN_PROPOSE, IN_REVIEW, TODAY, member_items, round_around_today, submitted_pledge, who


def _race(unit, *actions) -> list[str]:
    """Run the actions in parallel threads, each on its own connection, released together."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(index, action):
        try:
            with unit_run(unit):
                barrier.wait(timeout=10)
                action()
                outcomes[index] = "ok"
        except ValidationError as exc:
            outcomes[index] = getattr(exc, "code", None) or "invalid"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.fixture
def committed(world, django_db_blocker):
    """Unit C with a round of its own, removed again afterwards (the audit trail stays, as it must)."""
    started = timezone.now()
    with django_db_blocker.unblock():
        with unit_run(world["C"].unit):
            round = round_around_today(theme="Concurrency")
        yield world["C"], round
        with unit_run(world["C"].unit):
            Pledge.objects.filter(round=round).delete()
            Round.objects.filter(pk=round.pk).delete()
            OutboxMessage.objects.filter(created_at__gte=started).delete()


def test_concurrent_submissions_submit_once(committed):
    C, round = committed
    with unit_run(C.unit):
        pledge = services.pledge_create(round=round, who=who(C.member), items=member_items(), today=IN_PROPOSE)
    submit = lambda: services.pledge_submit(pledge=pledge, who=who(C.member), today=IN_PROPOSE)  # noqa: E731
    assert sorted(_race(C.unit, submit, submit)) == ["conflict", "ok"]
    with unit_run(C.unit):
        assert PledgeEvent.objects.filter(pledge=pledge, action="submit").count() == 1
        assert Pledge.objects.get(pk=pledge.pk).version == 2


def test_concurrent_approve_and_return_one_wins_whole(committed):
    C, round = committed
    with unit_run(C.unit):
        pledge = submitted_pledge(C, round)
        checklist = services.rules_of(round).review_checklist
    approve = lambda: services.pledge_approve(pledge=pledge, who=who(C.secretary), checklist=checklist, today=IN_REVIEW)  # noqa: E731
    reject = lambda: services.pledge_return(pledge=pledge, who=who(C.admin, admin=True), comment="不具体", today=IN_REVIEW)  # noqa: E731
    outcomes = _race(C.unit, approve, reject)
    assert sorted(outcomes) == ["conflict", "ok"]
    with unit_run(C.unit):
        pledge.refresh_from_db()
        actions = set(PledgeEvent.objects.filter(pledge=pledge).values_list("action", flat=True))
        if outcomes[0] == "ok":
            assert pledge.state == Pledge.State.APPROVED and "return" not in actions
        else:
            assert pledge.state == Pledge.State.RETURNED and "approve" not in actions


def test_concurrent_records_on_one_item_are_all_counted(committed):
    C, round = committed
    with unit_run(C.unit):
        pledge = submitted_pledge(C, round)
        services.pledge_approve(pledge=pledge, who=who(C.secretary), checklist=services.rules_of(round).review_checklist, today=IN_REVIEW)
        services.pledge_publish(pledge=pledge, who=who(C.secretary), today=round.publish_on)
        item = pledge.items.first()
    record = lambda: services.record_add(item=item, who=who(C.member), text="同时记实", recorded_on=TODAY)  # noqa: E731
    assert _race(C.unit, record, record, record) == ["ok", "ok", "ok"]
    with unit_run(C.unit):
        item = PledgeItem.objects.get(pk=item.pk)
        assert item.record_count == 3 == item.records.count()
