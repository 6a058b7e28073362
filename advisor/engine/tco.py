"""Cost of ownership: $/GPU-hour owned or rented, $/Mtok, tokens per MW, joules per token.

All functions broadcast over numpy arrays (systems x scenarios ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

SECONDS_PER_HOUR = 3600.0



def capital_recovery_factor(rate: ArrayLike, years: ArrayLike) -> np.ndarray:
    """Annual payment per dollar borrowed at `rate` over `years` (rate 0 = straight line)."""
    rate = np.asarray(rate, dtype=float)
    years = np.asarray(years, dtype=float)
    safe = np.where(rate > 1e-12, rate, 1.0)
    crf = safe * (1 + safe) ** years / ((1 + safe) ** years - 1)
    return np.where(rate > 1e-12, crf, 1.0 / years)


def all_in_watts_per_gpu(it_watts_per_gpu: ArrayLike, pue: ArrayLike) -> np.ndarray:
    """Facility watts per accelerator: IT watts (accelerator + its share of the server) x PUE."""
    out: np.ndarray = np.asarray(it_watts_per_gpu, dtype=float) * np.asarray(pue, dtype=float)
    return out


def owned_usd_per_gpu_hour(
    *, capex_usd_per_gpu: ArrayLike, years: float, cost_of_capital: float, residual_fraction: float,
    maintenance_fraction_per_year: float, it_watts_per_gpu: ArrayLike, pue: ArrayLike, usd_per_kwh: Any,
    hosting_usd_per_kw_month: float, hours_per_year: float = 8760.0, retrofit_usd_per_gpu: Any = 0.0,
) -> dict[str, np.ndarray]:
    """$/GPU-hour of an owned accelerator and its parts (capital, maintenance, power, hosting)."""
    capex = np.asarray(capex_usd_per_gpu, dtype=float) + retrofit_usd_per_gpu
    crf = capital_recovery_factor(cost_of_capital, years)
    residual_pv = capex * residual_fraction / (1 + np.asarray(cost_of_capital, dtype=float)) ** np.asarray(years, dtype=float)
    capital = (capex - residual_pv) * crf / hours_per_year
    maintenance = capex * maintenance_fraction_per_year / hours_per_year
    kw_all_in = all_in_watts_per_gpu(it_watts_per_gpu, pue) / 1000.0
    power = kw_all_in * usd_per_kwh
    hosting = (np.asarray(it_watts_per_gpu, dtype=float) / 1000.0) * hosting_usd_per_kw_month * 12.0 / hours_per_year
    total = capital + maintenance + power + hosting
    return {"capital": capital, "maintenance": maintenance, "power": power, "hosting": hosting, "total": total}


def usd_per_mtok(usd_per_gpu_hour: ArrayLike, tok_s_per_gpu: ArrayLike, utilisation: ArrayLike = 1.0) -> np.ndarray:
    """$ per million tokens: usd_per_gpu_hour / (tok_s_per_gpu * 3600 * utilisation) * 1e6."""
    tps = np.asarray(tok_s_per_gpu, dtype=float) * SECONDS_PER_HOUR * np.asarray(utilisation, dtype=float)
    return np.where(tps > 0, np.asarray(usd_per_gpu_hour, dtype=float) / np.where(tps > 0, tps, 1.0) * 1e6, np.inf)


def prefill_fraction(batch: ArrayLike, ttft_s: ArrayLike, t_step_s: ArrayLike, tok_s_per_user: ArrayLike,
                     osl: ArrayLike) -> np.ndarray:
    """Share of a replica's GPU time spent on prefill, from the engine's own step times.

    In one request's lifetime (osl / tok_s_per_user seconds) a replica of batch B runs B prefills of
    t_prefill = ttft - t_step each (the engine's TTFT is one prefill plus one decode step); the rest
    is decode. 0..1, broadcasts.
    """
    t_pf = np.maximum(np.asarray(ttft_s, dtype=float) - np.asarray(t_step_s, dtype=float), 0.0)
    life = np.asarray(osl, dtype=float) / np.maximum(np.asarray(tok_s_per_user, dtype=float), 1e-12)
    out: np.ndarray = np.clip(np.asarray(batch, dtype=float) * t_pf / life, 0.0, 1.0)
    return out


def split_usd_per_mtok(usd_per_gpu_hour: ArrayLike, output_tok_s_per_gpu: ArrayLike, input_tok_s_per_gpu: ArrayLike,
                       prefill_fraction_: ArrayLike, utilisation: ArrayLike = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """($/M input tokens, $/M output tokens): the GPU time spent on prefill is charged to input tokens,
    the time spent on decode to output tokens (the two add up to the whole cost)."""
    f = np.asarray(prefill_fraction_, dtype=float)
    cost = np.asarray(usd_per_gpu_hour, dtype=float)
    return (usd_per_mtok(cost * f, input_tok_s_per_gpu, utilisation),
            usd_per_mtok(cost * (1.0 - f), output_tok_s_per_gpu, utilisation))


def tok_s_per_mw(tok_s_per_gpu: ArrayLike, all_in_watts_per_gpu_: ArrayLike) -> np.ndarray:
    out: np.ndarray = np.asarray(tok_s_per_gpu, dtype=float) * 1e6 / np.asarray(all_in_watts_per_gpu_, dtype=float)
    return out


def joules_per_token(tok_s_per_gpu: ArrayLike, all_in_watts_per_gpu_: ArrayLike) -> np.ndarray:
    tps = np.asarray(tok_s_per_gpu, dtype=float)
    return np.where(tps > 0, np.asarray(all_in_watts_per_gpu_, dtype=float) / np.where(tps > 0, tps, 1.0), np.inf)
