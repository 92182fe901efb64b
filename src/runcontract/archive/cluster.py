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
    # processes, not threads: judging is Python code, which holds the GIL
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
