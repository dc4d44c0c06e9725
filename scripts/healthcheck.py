"""Container health check: exit 0 when `URL` answers 2xx (or one of `--accept` codes).

    python scripts/healthcheck.py http://127.0.0.1:8000/health --accept 503

Standard library only (it runs in the app image at every interval). The orchestrator's
/health is 503 while Rasa or the action server is down, yet it still stores and queues
webhooks, so compose accepts 503 for it.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request


def check(url: str, accept: set[int], timeout: float = 4.0) -> int:
    """0 when `url` answers 2xx or a status in `accept`, else 1."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 0 if 200 <= resp.status < 300 else 1
    except urllib.error.HTTPError as exc:
        return 0 if exc.code in accept else 1
    except (urllib.error.URLError, OSError):
        return 1


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="exit 0 when URL is healthy")
    parser.add_argument("url")
    parser.add_argument("--accept", type=int, action="append", default=[])
    args = parser.parse_args()
    return check(args.url, set(args.accept))


if __name__ == "__main__":
    sys.exit(main())
