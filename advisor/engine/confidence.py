"""How sure a ranking is: a seeded Monte Carlo of every option's $/Mtok, and `p_lowest_cost`.

Each draw varies what the figures rest on:
- throughput: one lognormal error per (accelerator, model), SHARED by every option that runs that
  model on that accelerator (buy and rent of one system, and every system of one accelerator), and
  correlated across the accelerators of one ecosystem (ECOSYSTEM_CORRELATION), never independent per
  option. Its sigma comes from the calibrated error band (`sigma_from_band`, the one place a band
  becomes a sigma);
- prices: one lognormal factor per (system, procurement) price, scaling the part of the cost that
  follows the price (rent: all of it; buy: capital and maintenance);
- utilisation: one uniform draw around the stated value per draw, shared by every option (it moves
  every option's $/Mtok alike, so it widens the spread of the figures but never reorders them).

`p_lowest_cost[o]` is the share of draws in which option o has the lowest $/Mtok: the values add up
to 1 over the options passed in (all feasible ones, before --top). Draws run in fixed chunks, each
with its own seed from one SeedSequence, so the answer is identical run locally or on a cluster
(`client`: anything with `.map` and `.gather`, e.g. a dask.distributed Client).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.engine.distribute import run_map

DRAWS = 4000
SEED = 12_2026
CHUNK = 1000
"""Draws per chunk (the unit of work mapped over a cluster)."""
P80_Z = 1.2815515655446004
"""The standard normal quantile of 0.9: a +/- band holding 80% of the errors is 1.2816 sigma wide."""
PRICE_SIGMA = {"buy": 0.10, "rent": 0.15}
"""Lognormal sigma of a catalog price: purchase quotes vary less than rental tiers between providers."""
UTILISATION_SPREAD = 0.25
"""Utilisation is drawn uniform in stated x (1 +/- this), capped at 1."""
ECOSYSTEM_CORRELATION = 0.5
"""Correlation of the throughput errors of two accelerators of one ecosystem (shared software factors)."""


def sigma_from_band(band_pct: float) -> float:
    """The lognormal sigma of a figure whose p80 error band is +/- band_pct percent: ln(1 + band) / 1.2816.

    The one source of sigma: when the engine supplies grouped cross-validation residuals, they enter
    through the band this reads.
    """
    return math.log1p(max(band_pct, 0.0) / 100.0) / P80_Z


@dataclass(frozen=True)
class Part:
    """One piece of an option's cost: the GPUs of one system serving one model."""

    option: int
    weight: float
    """Share of the option's annual cost."""
    price_share: float
    """Share of this piece's cost that scales with the price (rent: 1; buy: capital + maintenance)."""
    accelerator: str
    model: str
    ecosystem: str
    band_pct: float
    price_key: tuple[str, str]
    """(system id, buy | rent)."""


@dataclass(frozen=True)
class Inputs:
    """Everything a chunk of draws needs, as plain arrays (picklable for a cluster)."""

    usd_per_mtok: np.ndarray  # (O,)
    weight: np.ndarray  # (E,)
    price_share: np.ndarray  # (E,)
    option: np.ndarray  # (E,) int
    error_index: np.ndarray  # (E,) into the (accelerator, model) errors
    sigma: np.ndarray  # (K,) per (accelerator, model)
    eco_index: np.ndarray  # (K,) into the (ecosystem, model) errors
    n_eco: int
    price_index: np.ndarray  # (E,) into the prices
    price_sigma: np.ndarray  # (Q,)
    utilisation: float


def inputs(usd_per_mtok: Sequence[float], parts: Sequence[Part], utilisation: float) -> Inputs:
    errs: dict[tuple[str, str], int] = {}
    ecos: dict[tuple[str, str], int] = {}
    prices: dict[tuple[str, str], int] = {}
    sig: dict[int, float] = {}
    eco_of: dict[int, int] = {}
    for p in parts:
        k = errs.setdefault((p.accelerator, p.model), len(errs))
        sig[k] = max(sig.get(k, 0.0), sigma_from_band(p.band_pct))
        eco_of[k] = ecos.setdefault((p.ecosystem, p.model), len(ecos))
        prices.setdefault(p.price_key, len(prices))
    return Inputs(
        usd_per_mtok=np.asarray(usd_per_mtok, dtype=float),
        weight=np.array([p.weight for p in parts], dtype=float),
        price_share=np.array([p.price_share for p in parts], dtype=float),
        option=np.array([p.option for p in parts], dtype=np.int64),
        error_index=np.array([errs[(p.accelerator, p.model)] for p in parts], dtype=np.int64),
        sigma=np.array([sig[k] for k in range(len(errs))], dtype=float),
        eco_index=np.array([eco_of[k] for k in range(len(errs))], dtype=np.int64),
        n_eco=len(ecos),
        price_index=np.array([prices[p.price_key] for p in parts], dtype=np.int64),
        price_sigma=np.array([PRICE_SIGMA[key[1]] for key in prices], dtype=float),
        utilisation=utilisation,
    )


def chunk_draws(pb: Inputs, seed: np.random.SeedSequence, n: int) -> np.ndarray:
    """(n, O) $/Mtok draws: vectorised over draws and cost pieces."""
    rng = np.random.default_rng(seed)
    K, Q, O = pb.sigma.size, pb.price_sigma.size, pb.usd_per_mtok.size
    z_eco = rng.standard_normal((n, pb.n_eco))
    z_own = rng.standard_normal((n, K))
    z = math.sqrt(ECOSYSTEM_CORRELATION) * z_eco[:, pb.eco_index] + math.sqrt(1 - ECOSYSTEM_CORRELATION) * z_own
    throughput = np.exp(pb.sigma * z)  # (n, K), median 1
    price = np.exp(pb.price_sigma * rng.standard_normal((n, Q)))
    u = pb.utilisation * rng.uniform(1 - UTILISATION_SPREAD, 1 + UTILISATION_SPREAD, n)
    u = np.minimum(u, 1.0)
    piece = pb.weight * (pb.price_share * price[:, pb.price_index] + 1 - pb.price_share) / throughput[:, pb.error_index]
    scale = np.zeros((n, O))
    np.add.at(scale.T, pb.option, piece.T)  # sum the pieces of each option
    out: np.ndarray = pb.usd_per_mtok * scale * (pb.utilisation / u)[:, None]
    return out


def _run_chunk(job: tuple[Inputs, np.random.SeedSequence, int]) -> np.ndarray:
    return chunk_draws(*job)


def draws(usd_per_mtok: Sequence[float], parts: Sequence[Part], *, utilisation: float, n_draws: int = DRAWS,
          seed: int = SEED, client: Any = None) -> np.ndarray:
    """(n_draws, O) $/Mtok draws, identical for one seed whether run here or on `client`."""
    pb = inputs(usd_per_mtok, parts, utilisation)
    if pb.usd_per_mtok.size == 0:
        return np.zeros((n_draws, 0))
    sizes = [min(CHUNK, n_draws - i) for i in range(0, n_draws, CHUNK)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    return np.concatenate(run_map(_run_chunk, [(pb, s, n) for s, n in zip(seeds, sizes)], client), axis=0)


def p_lowest(samples: np.ndarray) -> np.ndarray:
    """Per option, the share of draws in which it is the cheapest (adds up to 1 over the options)."""
    D, O = samples.shape
    if O == 0:
        return np.zeros(0)
    counts = np.bincount(samples.argmin(axis=1), minlength=O)
    out: np.ndarray = counts / D
    return out


def score_draws(samples: np.ndarray, scores: Sequence[float], cost_terms: Sequence[float], cost_weight: float) -> np.ndarray:
    """(D, O) scores with the cost term redrawn: every other term held at its value.

    score = 100 exp(-(w_cost * cost_term + rest)), so rest = -ln(score / 100) - w_cost * cost_term.
    """
    s = np.asarray(scores, dtype=float)
    if samples.shape[1] == 0:
        return np.zeros_like(samples)
    rest = -np.log(s / 100.0) - cost_weight * np.asarray(cost_terms, dtype=float)
    best = samples.min(axis=1, keepdims=True)
    term = np.clip(1.0 - best / np.where(samples > 0, samples, np.inf), 0.0, 1.0)
    out: np.ndarray = 100.0 * np.exp(-(cost_weight * term + rest))
    return out
