"""Django's Redis cache, keeping its Redis client instead of making one per operation.

Django's backend builds a new `redis.Redis` around the same connection pool for every get
and set; that costs more CPU than the round trip to Redis (the token check of every API
request is one get). A client is thread-safe and holds nothing but its pool, so one per
pool serves every call."""
from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
