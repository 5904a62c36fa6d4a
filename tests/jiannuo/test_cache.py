"""Cache keys carry the unit's schema: one unit can never read another's cached values."""
from django.core.cache import cache

from tenants.services import unit_run


def test_same_key_in_two_units_holds_two_values(world, db):
    with unit_run(world["A"].unit):
        cache.set("board:summary", "A's summary", 60)
    with unit_run(world["B"].unit):
        assert cache.get("board:summary") is None
        cache.set("board:summary", "B's summary", 60)
    with unit_run(world["A"].unit):
        assert cache.get("board:summary") == "A's summary"
    assert cache.get("board:summary") is None  # nor does the public schema see either
    for key in "AB":
        with unit_run(world[key].unit):
            cache.delete("board:summary")
