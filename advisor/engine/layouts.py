"""Serving layouts: how a replica of G accelerators splits a model.

Two kinds, both up to the whole scale-up domain (8 on HGX, 72 on NVL72, 384 on CloudMatrix) and beyond
it over the scale-out network:
- "tp" (tensor parallel): every layer split across the G accelerators; weights and KV cache divided by G;
  two all-reduces of the hidden state per layer (each accelerator moves ~2 (G-1)/G of it).
- "ep" (expert parallel with data-parallel attention, MoE models only): each accelerator runs attention
  for its own B/G sequences (its own KV cache, a full copy of the non-expert weights) and holds 1/G of the
  experts; per MoE layer a dispatch and a combine all-to-all send each token's hidden state to its k
  experts ((G-1)/G of them on other accelerators). Wide EP is how DeepSeek-class models run on NVL72.

The grid's layout axis holds (G, kind) pairs: `default_layouts()` gives the TP set and the EP set.
`decode_is_ep(parallelism)` reads a measured run's decode layout from its parallelism text.
"""

from __future__ import annotations

import re

import numpy as np

from advisor.engine.types import FloatArray

TP_GPUS = (1, 2, 4, 8, 16, 32, 64, 72, 128, 256, 384)
EP_GPUS = (4, 8, 16, 32, 64, 72, 128, 256, 384)
KINDS = ("tp", "ep")


def default_layouts() -> tuple[FloatArray, FloatArray]:
    """(GPUs per replica, expert-parallel flag 0/1) of every layout the grid evaluates: TP first, then EP."""
    gpus = np.array(TP_GPUS + EP_GPUS, dtype=float)
    ep = np.array([0.0] * len(TP_GPUS) + [1.0] * len(EP_GPUS))
    return gpus, ep


def kind_names(ep: FloatArray) -> tuple[str, ...]:
    return tuple(KINDS[int(x)] for x in np.asarray(ep).ravel())


def decode_is_ep(parallelism: str) -> bool:
    """Does the decode side of a measured run use expert parallelism with data-parallel attention?

    "disagg: ... decode TP8 EP8 dpattn=True ..." and "agg: TP8 EP8 dpattn=True" are; "decode: 8 GPU, EP=8"
    (wide EP on NVL72) and "DP attention" are; TP with EP but without DP attention is treated as TP.
    """
    text = parallelism or ""
    m = re.search(r"\bdecode\b[^;]*", text)
    part = m.group(0) if m else text
    if re.search(r"EP(\d+)\s+dpattn=True", part):
        ep = int(re.search(r"EP(\d+)\s+dpattn=True", part).group(1))  # type: ignore[union-attr]
        return ep > 1 or "TP1 " in part
    if re.search(r"EP=(\d+)", part) and int(re.search(r"EP=(\d+)", part).group(1)) > 1:  # type: ignore[union-attr]
        return True
    return False
