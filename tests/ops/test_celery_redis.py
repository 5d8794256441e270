"""The broker transport (learningcity/celery_redis.py) against the real Redis: kombu's Redis
transport, publishing through one redis-py client per connection pool."""

from __future__ import annotations

import json
import uuid

import redis
from django.conf import settings

from learningcity.celery import app as celery_app
from learningcity.celery_redis import Channel, Transport


def test_the_broker_uses_this_transport():
    assert settings.CELERY_BROKER_TRANSPORT == "learningcity.celery_redis:Transport"
    with celery_app.connection_for_write() as conn:
        assert isinstance(conn.transport, Transport)
        assert isinstance(conn.default_channel, Channel)


def test_messages_are_published_through_one_client_and_arrive():
    queue = f"test-celery-redis-{uuid.uuid4().hex}"
    raw = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        with celery_app.connection_for_write() as conn:
            channel = conn.default_channel
            clients = []
            for n in range(3):
                channel._put(queue, {"body": f"ภาษาไทย <b>{n}</b> ' OR 1=1"})
                with channel.conn_or_acquire() as client:
                    clients.append(client)
            assert clients[0] is clients[1] is clients[2]
            assert clients[0].connection_pool is channel.pool
        messages = [json.loads(m)["body"] for m in raw.lrange(queue, 0, -1)]
        assert sorted(messages) == [f"ภาษาไทย <b>{n}</b> ' OR 1=1" for n in range(3)]
    finally:
        raw.delete(queue)


def test_a_new_pool_gets_a_new_client():
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        with channel.conn_or_acquire() as first:
            pass
        channel._pool = None  # what kombu does when it drops its connections after an error
        with channel.conn_or_acquire() as second:
            assert second is not first and second.connection_pool is channel.pool
            assert second.ping()


def test_a_client_given_is_used_as_is():
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        given = object()
        with channel.conn_or_acquire(given) as client:
            assert client is given
