"""Work spread over a cluster without the core depending on one.

`run_map(fn, items, client)` maps here when `client` is None, else on anything with `.map` and
`.gather` (a dask.distributed Client, or an adapter for Ray or an executor). Results come back in
the order of `items`, so a run on a cluster equals the local one. Dask itself is imported only by
`advisor.api.sweeps.dask_client`, when a shell asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def run_map(fn: Callable[[Any], Any], items: Sequence[Any], client: Any = None) -> list[Any]:
    """fn over items, here (client None) or on `client` (.map then .gather), in the order of items."""
    if client is None:
        return [fn(x) for x in items]
    if not (hasattr(client, "map") and hasattr(client, "gather")):
        raise TypeError(f"a client needs .map and .gather (a dask.distributed Client), got {type(client).__name__}")
    return list(client.gather(client.map(fn, list(items), pure=False)))
