"""The project's Redis cache backend (tenants.cache) keeps one Redis client per pool and
otherwise behaves as Django's: values round-trip through real Redis, expire, and are deleted."""
import time

from django.core.cache import caches

from tenants.cache import RedisCache


def test_one_client_serves_every_operation_and_values_round_trip():
    store = caches["security"]
    assert isinstance(store, RedisCache)
    store.set("cache-test:key", {"家": 1}, timeout=30)
    first = store._cache.get_client("cache-test:key")
    assert store.get("cache-test:key") == {"家": 1}
    assert store._cache.get_client("cache-test:other", write=True) is first
    assert store.add("cache-test:key", 2) is False  # already there
    store.delete("cache-test:n")
    assert store.add("cache-test:n", 0) is True and store.incr("cache-test:n") == 1
    store.set("cache-test:short", 1, timeout=1)
    time.sleep(1.2)
    assert store.get("cache-test:short") is None
    store.delete("cache-test:key")
    assert store.get("cache-test:key", "gone") == "gone"
