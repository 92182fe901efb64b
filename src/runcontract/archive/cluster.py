"""The Dask client for `--dask local` (a cluster on this machine) or `--dask tcp://HOST:PORT`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from runcontract.archive import ArchiveError, require

LOCAL = "local"


@contextlib.contextmanager
def connect(address: str, *, workers: int | None = None) -> Iterator[Any]:
    """A client of the scheduler at `address`, or of a LocalCluster made for this call."""
    distributed = require("distributed")
    require("fsspec")  # checked now, not on a worker half-way through
    if address != LOCAL:
        try:
            client = distributed.Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise ArchiveError(f"--dask: no Dask scheduler answers at {address} ({exc})") from exc
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, distributed.Client(cluster) as client:
        yield client


def local_cluster(workers: int | None = None, *, processes: bool = True) -> Any:
    """A LocalCluster on 127.0.0.1 without a dashboard, its workers one thread each.

    Processes by default: judging is Python code, which holds the GIL. The scheduler's HTTP
    server (health and metrics routes) listens whatever the dashboard, by default on 8787: it
    gets a free port instead, so two clusters on one machine do not collide.
    """
    distributed = require("distributed")
    return distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        host="127.0.0.1" if processes else None,  # threads talk in-process (inproc://)
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    )
