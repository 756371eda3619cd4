"""Runs scim2-tester (the python-scim conformance checker) against a Muster server.

usage: check.py <base URL> <SCIM token>

Checks the discovery endpoints and the Users and Groups resources, and prints every
check's result. Exits 1 if any check fails.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=f"{base}/scim/v2", headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    failed = 0
    for result in results:
        status = result.status
        bad = status in (Status.ERROR, Status.CRITICAL)
        resource = f"[{result.resource_type}] " if result.resource_type else ""
        print(f"{status.name.lower():10} {resource}{result.title or ''}: {result.reason or ''}")
        failed += bad
    print(f"{len(results)} checks, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
