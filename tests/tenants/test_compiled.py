"""Compiled reads (tenants.compiled) give exactly what their queryset gives, in whichever unit
the connection is in, and refuse at compilation what they could not run faithfully."""
from datetime import timedelta

import pytest
from django.db.models import Count

from pledges.models import Pledge, PledgeEvent, PledgeItem
from tenants.compiled import CompilationError, compiled
from tenants.services import unit_run


@compiled(pledge_ids=list, state=str)
def _items_not_in_state(*, pledge_ids, state):
    return (PledgeItem.objects.filter(pledge_id__any=pledge_ids).exclude(state=state)
            .values("id", "pledge_id", "pledge__title", "deadline", "closed_at", "pledge__checklist").order_by("id"))


@compiled(pledge_ids=list, state=str)
def _item_keys_not_in_state(*, pledge_ids, state):
    return PledgeItem.objects.filter(pledge_id__any=pledge_ids).exclude(state=state).order_by().values_list("pk")


@compiled(pledge_id=int)
def _event_snapshots(*, pledge_id):
    return PledgeEvent.objects.filter(pledge_id=pledge_id).order_by("id").values_list("id", "snapshot")


@compiled(round_id=int)
def _pledge_ids(*, round_id):
    return Pledge.objects.filter(round_id=round_id).order_by("id").values_list("id", flat=True)


def _orm(pledge_ids, state):
    return list(PledgeItem.objects.filter(pledge_id__in=pledge_ids).exclude(state=state)
                .values("id", "pledge_id", "pledge__title", "deadline", "closed_at", "pledge__checklist").order_by("id"))


def test_a_compiled_read_gives_what_its_queryset_gives(world, db):
    A = world["A"]
    with unit_run(A.unit):
        pledge_ids = list(Pledge.objects.values_list("pk", flat=True))
        assert pledge_ids
        got = _items_not_in_state(pledge_ids=pledge_ids, state="closed")
        assert got and got == _orm(pledge_ids, "closed")
        assert isinstance(got[0]["pledge__checklist"], dict | list)  # JSON decoded by the field's converter, as the ORM does
        assert _items_not_in_state(pledge_ids=pledge_ids[:1], state="draft") == _orm(pledge_ids[:1], "draft")
        assert _items_not_in_state(pledge_ids=[], state="closed") == []
        events = _event_snapshots(pledge_id=A.pledge_id)
        assert events and events == list(PledgeEvent.objects.filter(pledge_id=A.pledge_id).order_by("id").values_list("id", "snapshot"))
        assert _pledge_ids(round_id=A.round_id) == list(Pledge.objects.filter(round_id=A.round_id).order_by("id").values_list("id", flat=True))
        assert _pledge_ids(round_id=A.round_id, limit=1, offset=1) == _pledge_ids(round_id=A.round_id)[1:2]


def test_one_compilation_serves_every_unit_each_with_its_own_rows(world, db):
    """The SQL names no schema: the same compiled read, in unit B, reads unit B."""
    A, B = world["A"], world["B"]
    with unit_run(A.unit):
        in_a = _pledge_ids(round_id=A.round_id)
        titles_a = {r["pledge__title"] for r in _items_not_in_state(pledge_ids=in_a, state="x")}
        Pledge.objects.filter(pk__in=in_a).update(title="只在A单位")
    with unit_run(B.unit):
        in_b = _pledge_ids(round_id=B.round_id)
        assert in_b == list(Pledge.objects.filter(round_id=B.round_id).order_by("id").values_list("id", flat=True))
        titles_b = {r["pledge__title"] for r in _items_not_in_state(pledge_ids=in_b, state="x")}
    assert titles_a and titles_b and "只在A单位" not in titles_b


def test_what_cannot_be_compiled_faithfully_is_refused(db):
    @compiled(text=str)
    def transformed(*, text):  # the ORM wraps the value in % … %: the marker never reaches the SQL as given
        return PledgeItem.objects.filter(content__icontains=text).values("id")

    @compiled(pledge_id=int)
    def sliced(*, pledge_id):
        return PledgeItem.objects.filter(pledge_id=pledge_id).values("id")[:5]

    @compiled(pledge_id=int)
    def instances(*, pledge_id):
        return PledgeItem.objects.filter(pledge_id=pledge_id)

    @compiled(pledge_id=int)
    def aggregate_only(*, pledge_id):
        return PledgeItem.objects.filter(pledge_id=pledge_id).values("state").annotate(n=Count("id"))

    for read in (transformed, sliced, instances):
        with pytest.raises(CompilationError):
            read.sql()
    assert "GROUP BY" in aggregate_only.sql()
    with pytest.raises(TypeError):
        aggregate_only(item_id=1)
    with pytest.raises(CompilationError):
        compiled(when=timedelta)(lambda *, when: PledgeItem.objects.values("id"))


def test_a_paged_compiled_read_gives_the_querysets_pages_and_count(world, db):
    from django.core.paginator import Paginator

    from tenants.compiled import Paged

    A = world["A"]
    with unit_run(A.unit):
        everything = list(PledgeItem.objects.values_list("pledge_id", flat=True).distinct())
        orm = PledgeItem.objects.filter(pledge_id__in=everything).exclude(state="none").values(
            "id", "pledge_id", "pledge__title", "deadline", "closed_at", "pledge__checklist").order_by("id")
        assert orm.count() >= 3
        paged = Paged(_items_not_in_state, _item_keys_not_in_state, pledge_ids=everything, state="none")
        assert paged.count() == orm.count() == len(paged)
        for size in (1, 2, orm.count() + 1):
            mine, theirs = Paginator(paged, size), Paginator(orm, size)
            assert mine.num_pages == theirs.num_pages
            for number in mine.page_range:
                assert list(mine.page(number)) == list(theirs.page(number))
        assert paged[1:] == list(orm)[1:]
