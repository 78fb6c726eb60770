"""A throwaway single-node KurrentDB for the store contract suite.

`kurrentdb_store()` skips the calling test when no Docker engine answers, so the suite runs
everywhere and exercises KurrentDB wherever Docker is available (CI with a daemon, laptops).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from kurrentdbclient.gossip import NODE_STATE_LEADER
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import HttpWaitStrategy

from shared.eventstore.kurrentdb import KurrentDBEventStore

# Pinned: 25.1 is the first release with multi-stream append, which `append_many` needs, and
# 25.1.4 at least for its fixes (multi-stream append data in 25.1.1, cluster join in 25.1.3).
# The same release as deploy/compose.yaml.
KURRENTDB_IMAGE = "docker.kurrent.io/kurrent-latest/kurrentdb:25.1.4"
HTTP_PORT = 2113  # gRPC and HTTP share it
STARTUP_TIMEOUT = 120  # seconds; a first run also pulls the image
LEADER_TIMEOUT = 60  # seconds from "live" to "accepts writes"
DOCKER_PING_TIMEOUT = 3  # seconds
# As in deploy/compose.yaml: without them the client waits forever on a dead connection.
KEEP_ALIVE_INTERVAL_MS = 10_000  # the client reads both keep-alive options in milliseconds
KEEP_ALIVE_TIMEOUT_MS = 10_000
DEFAULT_DEADLINE_S = 30  # and the deadline in seconds


def connection_uri(host: str, port: int | str) -> str:
    """The URI the contract suite connects with: one insecure node, keep-alive and a deadline."""
    return (
        f"kurrentdb://{host}:{port}?tls=false"
        f"&KeepAliveInterval={KEEP_ALIVE_INTERVAL_MS}"
        f"&KeepAliveTimeout={KEEP_ALIVE_TIMEOUT_MS}"
        f"&DefaultDeadline={DEFAULT_DEADLINE_S}"
    )


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers; otherwise why not, in a few words."""
    try:
        import docker  # type: ignore[import-untyped]  # docker-py ships no type hints

        client = docker.from_env(timeout=DOCKER_PING_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as e:  # any failure means the same thing here: no usable engine
        return f"{type(e).__name__}: {e}".strip()
    return None


def _wait_for_leader(store: KurrentDBEventStore, timeout: float) -> None:
    """`/health/live` answers before the node has elected itself leader and can take writes."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            members = store.client.read_gossip()
            if any(m.state == NODE_STATE_LEADER for m in members):
                store.head()  # reads work too
                return
        except Exception as e:  # still starting: gossip or reads refused
            last_error = e
        time.sleep(0.5)
    raise TimeoutError(f"KurrentDB elected no leader within {timeout}s (last error: {last_error})")


@contextmanager
def kurrentdb_store() -> Iterator[KurrentDBEventStore]:
    """A store on a fresh in-memory KurrentDB node; the container goes when the block ends."""
    reason = docker_unavailable_reason()
    if reason is not None:
        pytest.skip(f"KurrentDB contract suite skipped: no Docker engine answers ({reason})")

    container = (
        DockerContainer(KURRENTDB_IMAGE)
        .with_env("KURRENTDB_INSECURE", "true")  # no TLS in a throwaway test node
        .with_env("KURRENTDB_RUN_PROJECTIONS", "None")
        .with_env("KURRENTDB_MEM_DB", "true")
        .with_env("KURRENTDB_CLUSTER_SIZE", "1")
        .with_exposed_ports(HTTP_PORT)
        .waiting_for(
            # KurrentDB answers 204 on /health/live unless asked for another code.
            HttpWaitStrategy(HTTP_PORT, "/health/live")
            .for_status_code(200)
            .for_status_code(204)
            .with_startup_timeout(STARTUP_TIMEOUT)
        )
    )
    container.start()
    try:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(HTTP_PORT)
        store = KurrentDBEventStore(connection_uri(host, port))
        try:
            _wait_for_leader(store, LEADER_TIMEOUT)
            yield store
        finally:
            store.close()
    finally:
        container.stop()
