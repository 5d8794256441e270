"""Django's Redis cache backend, keeping one redis-py client per connection pool.

`django.core.cache.backends.redis.RedisCacheClient.get_client` builds a new `redis.Redis` for
every operation, and redis-py's client constructor fills its table of response callbacks each
time: on the benchmark machine that was ~150 µs of a ~290 µs `cache.get` over loopback. Every
page does a few cache operations (the city, the catalogue's generation and results, a signed-in
resident's session, allauth's rate limits), so they are paid on every request.

A redis-py client holds no connection of its own: each command borrows one from the pool, so
one client is safe to share between threads, and after a fork (gunicorn, Celery's prefork pool)
the pool notices the new process id and opens connections of its own. `incr` (the catalogue
cache's generation moves on every enrolment) takes one round trip instead of two. Everything
else is Django's backend unchanged (serializer, key functions, timeouts, several servers)."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCRBY of a key that exists, else nil: one round trip, where Django's `incr` sends EXISTS and
# then INCRBY (two, and a key expiring between them was created again from 0).
INCR_EXISTING = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end return false"
)


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[object, object] = {}  # connection pool -> its client
        self._incr_scripts: dict[object, object] = {}  # client -> its registered INCR_EXISTING

    def incr(self, key, delta):
        """Django's semantics (ValueError for a missing key, nothing created) in one round trip
        (EVALSHA; redis-py loads the script again if the server has lost it)."""
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(client)
        if script is None:
            script = self._incr_scripts[client] = client.register_script(INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

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
