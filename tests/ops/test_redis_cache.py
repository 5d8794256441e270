"""The project's Redis cache backend (learningcity/redis_cache.py) against the real Redis: one
client per pool, every cache operation Django offers still works, from threads and after a fork."""

from __future__ import annotations

import multiprocessing
import threading
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from learningcity.redis_cache import RedisCache, SharedClientRedisCacheClient


def _key() -> str:
    return f"test:redis-cache:{uuid.uuid4().hex}"


def test_the_configured_cache_is_ours_and_keeps_one_client():
    assert settings.CACHES["default"]["BACKEND"] == "learningcity.redis_cache.RedisCache"
    assert isinstance(cache._cache, SharedClientRedisCacheClient)
    assert cache._cache.get_client() is cache._cache.get_client()
    assert cache._cache.get_client(write=True) is cache._cache.get_client()  # one server: one pool


def test_every_operation_works():
    key, other = _key(), _key()
    assert cache.get(key) is None and cache.get(key, "default") == "default"
    assert cache.add(key, {"ภาษา": "ไทย"}, 30) and not cache.add(key, "again", 30)
    assert cache.get(key) == {"ภาษา": "ไทย"}
    cache.set(other, 1, 30)
    assert cache.incr(other) == 2 and cache.decr(other, 2) == 0
    assert cache.get_many([key, other]) == {key: {"ภาษา": "ไทย"}, other: 0}
    assert cache.touch(key, 60) and cache.has_key(key)
    cache.set_many({key: "a", other: "b"}, 30)
    assert cache.get_many([key, other]) == {key: "a", other: "b"}
    cache.delete_many([key, other])
    assert cache.get_many([key, other]) == {}
    cache.set(key, "x", 0)  # a timeout of 0 expires at once, as in Django's backend
    assert cache.get(key) is None


def test_threads_each_keep_their_client():
    # Django gives each thread its own cache object (django.core.cache.caches is thread-local);
    # each keeps one client for all its operations, and the threads do not disturb each other.
    keys = [_key() for _ in range(16)]
    errors = []

    def work(k):
        try:
            first = cache._cache.get_client()
            cache.set(k, k, 30)
            assert cache.get(k) == k
            assert cache._cache.get_client() is first
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.get_many(keys) == {k: k for k in keys}
    cache.delete_many(keys)


def _in_child(key, queue):
    cache.set(key, "from the child", 30)
    queue.put(cache.get(key))


def test_a_forked_process_uses_connections_of_its_own():
    key = _key()
    cache.set(key, "parent", 30)  # the parent's pool holds a connection before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(key, queue))
    child.start()
    assert queue.get(timeout=30) == "from the child"
    child.join(30)
    assert child.exitcode == 0
    assert cache.get(key) == "from the child"
    cache.delete(key)


def test_a_second_backend_instance_has_its_own_client():
    other = RedisCache(settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": "other"})
    assert other._cache.get_client() is not cache._cache.get_client()
    key = _key()
    other.set(key, 1, 30)
    assert other.get(key) == 1 and cache.get(key) is None  # another key prefix
    other.delete(key)


def test_incr_is_one_round_trip_with_djangos_semantics(monkeypatch):
    client = cache._cache.get_client(write=True)
    key, missing = _key(), _key()
    cache.set(key, 4, 30)
    assert cache.incr(key) == 5  # loads the script into the server if it has not got it yet
    sent = []
    real = client.execute_command

    def spy(*args, **options):  # the real call, recorded
        sent.append(args[0])
        return real(*args, **options)

    monkeypatch.setattr(client, "execute_command", spy)
    assert cache.incr(key) == 6 and cache.incr(key, 10) == 16 and cache.decr(key, 20) == -4
    assert sent == ["EVALSHA"] * 3  # no EXISTS before each INCRBY
    with pytest.raises(ValueError):
        cache.incr(missing)
    assert cache.get(missing) is None  # nothing created
    cache.set(key, "not a number", 30)
    with pytest.raises(redis.exceptions.ResponseError):
        cache.incr(key)
    cache.delete(key)


def test_incr_loads_its_script_again_when_the_server_has_lost_it():
    key = _key()
    cache.set(key, 1, 30)
    assert cache.incr(key) == 2
    cache._cache.get_client(write=True).script_flush()
    assert cache.incr(key) == 3
    cache.delete(key)
