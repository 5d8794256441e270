"""Django's Redis cache backend, keeping one redis-py client per connection pool.

`django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new `redis.Redis` for
every operation, and redis-py's client constructor fills its table of response callbacks each
time: on the benchmark machine that was ~150 µs of a ~290 µs `cache.get` over loopback. Every
page does a few cache operations (the city, the catalogue's generation and results, a signed-in
resident's session, allauth's rate limits), so they are paid on every request.

A redis-py client holds no connection of its own: each command borrows one from the pool, so
one client is safe to share between threads, and after a fork (gunicorn, Celery's prefork pool)
the pool notices the new process id and opens connections of its own. Everything else is
Django's backend unchanged (serializer, key functions, timeouts, several servers)."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[object, object] = {}  # connection pool -> its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # Django's: created once per server
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` with SharedClientRedisCacheClient."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
