"""The load generator: a separate process with an asyncio HTTP/1.1 client on raw sockets.

`python -m bench.loadgen SPEC.json OUT.json`. SPEC holds the port, the concurrency and the
list of requests ({label, method, path, headers, body}); `concurrency` coroutines take the
next request from the list until it is empty. Each request opens its own connection (the
project's gunicorn runs sync workers, which close the connection after every response) and
sends `X-Forwarded-Proto: https`, as the TLS proxy in front of production does.

OUT gets one row per request: [label, status, latency ms (connect to last byte), server ms
and SQL statements from the bench middleware's headers (or null), error or null], plus the
wall-clock time of the whole run. A raw client rather than httpx/aiohttp: it costs the
machine's two cores about a tenth of the CPU per request, which the server then has."""

from __future__ import annotations

import asyncio
import json
import sys
import time


async def _one(port: int, request: dict, timeout: float) -> list:
    label = request["label"]
    tag = request.get("tag")  # e.g. the catalogue's "first"/"repeat" of a URL in the mix
    body = request.get("body", "").encode()
    headers = {
        "Host": f"127.0.0.1:{port}",
        "X-Forwarded-Proto": "https",
        "User-Agent": "lc-bench",
        "Accept": "text/html",
        "Connection": "close",
        **request.get("headers", {}),
    }
    if body:
        headers["Content-Length"] = str(len(body))
    head = f"{request.get('method', 'GET')} {request['path']} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    started = time.perf_counter()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(-1), timeout)
    except (OSError, TimeoutError) as exc:
        return [label, 0, (time.perf_counter() - started) * 1000, None, None, exc.__class__.__name__, tag]
    finally:
        if writer is not None:
            writer.close()
    latency = (time.perf_counter() - started) * 1000
    header_block, _sep, _rest = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return [label, 0, latency, None, None, "bad response", tag]
    server_ms = queries = None
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        name = name.strip().lower()
        if name == "x-bench-server-ms":
            server_ms = float(value)
        elif name == "x-bench-queries":
            queries = int(value)
    error = None if status < 400 else f"HTTP {status}"
    return [label, status, latency, server_ms, queries, error, tag]


async def run(spec: dict) -> dict:
    queue = list(reversed(spec["requests"]))
    results: list[list] = []
    timeout = float(spec.get("timeout", 30))

    async def worker():
        while queue:
            results.append(await _one(spec["port"], queue.pop(), timeout))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, int(spec["concurrency"])))))
    return {"elapsed_s": time.perf_counter() - started, "results": results}


def main(argv: list[str]) -> None:
    spec_path, out_path = argv
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    outcome = asyncio.run(run(spec))
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(outcome, f)


if __name__ == "__main__":
    main(sys.argv[1:])
