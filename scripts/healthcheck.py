#!/usr/bin/env python
"""The container's health probe: GET /healthz on this machine; exit 0 on 200, else 1.

It sends a Host header that ALLOWED_HOSTS accepts (Django answers 400 to any other), and
speaks plain HTTP (production settings exempt /healthz from the HTTPS redirect)."""

import os
import sys
import urllib.error
import urllib.request


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip()
        if host and host != "*":
            return host.lstrip(".")  # ".example.org" accepts example.org itself
    return "localhost"


def main() -> int:
    url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    request = urllib.request.Request(url, headers={"Host": probe_host()})  # noqa: S310 (our own URL)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
