"""kombu's Redis transport, keeping one redis-py client per connection pool for publishing.

kombu's `Channel.conn_or_acquire` builds a new `redis.Redis` for every message published, and
redis-py's constructor fills its table of response callbacks each time: about a quarter of
the CPU of `task.delay()` (an enrol POST queues its confirmation e-mail: 4 % of the request's
CPU during a rush). As with the cache (learningcity/redis_cache.py): a redis-py client holds
no connection of its own (each command borrows one from the pool), so one client is safe to
share, and after a fork the pool notices the new process id and opens its own connections.
When kombu replaces the channel's pool (reconnecting after an error), a client for the new
pool is made. Everything else is kombu's transport unchanged.

Used through `CELERY_BROKER_TRANSPORT` when the broker is Redis (settings/base.py).
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        pool = self.pool
        shared = self._shared_client
        if shared is None or shared.connection_pool is not pool:
            shared = self._shared_client = self._create_client()
        yield shared


class Transport(kombu_redis.Transport):
    Channel = Channel
