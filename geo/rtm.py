"""Risk Terrain Modeling: which environmental factors raise the incident count around them, by how much,
and where their combination makes the risk high.

Method (Caplan, Kennedy & Miller 2011, "Risk terrain modeling: brokering criminological theory and GIS
methods for crime forecasting", Justice Quarterly 28(2):360–381; Caplan & Kennedy 2016, *Risk Terrain
Modeling: Crime Prediction and Risk Reduction*, University of California Press, ch. 3 as RTMDx does it):

1. Each factor (bus and train stations, schools, parks, dark street segments, open lamp faults, walk
   findings, …) becomes, for each of a few distances, a 0/1 layer on the grid: is the cell's centre
   within that distance of the factor? Distances are multiples of a block: 100, 200 and 300 m (a
   Swedish town block is 80–120 m; RTMDx uses ½, 1, 1½ and 2 blocks). Density operationalisations are
   left out: with the few features of a municipality's layers they are nearly the same as proximity.
2. Screening: for each factor and distance, a negative-binomial regression (NB2) of the cells' incident
   counts on that one layer. NB2, not Poisson: cell counts are overdispersed (incidents cluster for
   reasons no layer holds), and Poisson's too-narrow intervals would make factors "significant" on
   random data. The dispersion is estimated once from the intercept-only model (statsmodels'
   `NegativeBinomial`), then each layer is fitted as a GLM with that NB family. A factor is kept at
   its best distance (lowest AIC) when its Holm-corrected p-value over all factor × distance tests
   is below `alpha` and its coefficient is positive (a factor that lowers risk is not a risk factor).
3. The kept factors enter one NB2 model together (dispersion re-estimated); factors whose Wald p-value
   is not below `alpha` after Holm correction over the kept ones are dropped one at a time, weakest
   first. Each final factor's relative risk is exp(β) with its 95 % interval.
4. The relative-risk surface is exp(Σ βⱼ xⱼ) per cell: 1 where no factor is near.

Measured by `bench/validity.py --only rtm` (random factors and CSR incidents: how often any factor is
kept; incidents ×3 within 100 m of one factor: how often it is recovered with an interval holding 3).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

DISTANCES_M = (100.0, 200.0, 300.0)


@dataclass(frozen=True)
class FactorLayer:
    """A factor as points in grid metres (lines and areas sampled along their outline every ~25 m)."""

    code: str
    name: str
    x: NDArray[np.float64]
    y: NDArray[np.float64]


@dataclass(frozen=True)
class FactorResult:
    code: str
    name: str
    distance_m: float | None       # the operationalisation kept (None: not kept)
    relative_risk: float | None
    interval: tuple[float, float] | None
    p_value: float                 # screening p (Holm-adjusted) or final Wald p (Holm-adjusted)
    significant: bool
    cells_near: int                # study cells within distance_m of the factor


@dataclass(frozen=True)
class RtmResult:
    factors: list[FactorResult]    # every factor tried, significant first
    relative_risk: NDArray[np.float64]   # per study cell (1 where no kept factor is near)
    cells: int
    incidents: int
    tests: int                     # factor × distance screening tests
    dispersion: float              # NB2 alpha of the final model

    @property
    def significant(self) -> list[FactorResult]:
        return [f for f in self.factors if f.significant]


def proximity(cx: NDArray[np.float64], cy: NDArray[np.float64], layer: FactorLayer,
              distance: float) -> NDArray[np.float64]:
    """1.0 for the cells whose centre is within `distance` of any of the layer's points, else 0.0."""
    if layer.x.size == 0:
        return np.zeros(cx.size)
    tree = cKDTree(np.column_stack([layer.x, layer.y]))
    d, _ = tree.query(np.column_stack([cx, cy]), k=1, distance_upper_bound=distance + 1e-6)  # "within": inclusive
    return np.isfinite(d).astype(float)


def _holm(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (Holm 1979)."""
    m = p.size
    order = np.argsort(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def _dispersion(counts: NDArray[np.float64], design: NDArray[np.float64]) -> float:
    from statsmodels.discrete.discrete_model import NegativeBinomial

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = NegativeBinomial(counts, design, loglike_method="nb2").fit(disp=False, maxiter=200)
        alpha = float(np.asarray(fit.params)[-1])
    except (np.linalg.LinAlgError, ValueError):  # a degenerate design: the moment estimate of NB2's alpha
        mean = float(counts.mean())
        alpha = (float(counts.var()) - mean) / mean**2 if mean > 0 else 0.0
    return alpha if np.isfinite(alpha) and alpha > 1e-8 else 1e-8


def _glm(counts: NDArray[np.float64], design: NDArray[np.float64], alpha: float) -> Any:
    """The NB2 GLM, or None where it cannot be fitted (too few counts: a boundary problem)."""
    import statsmodels.api as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.GLM(counts, design, family=sm.families.NegativeBinomial(alpha=alpha)).fit()
    except (ValueError, np.linalg.LinAlgError):
        return None
    return res if np.all(np.isfinite(res.params)) and np.all(np.isfinite(res.bse)) else None


def fit(counts: NDArray[np.float64], cx: NDArray[np.float64], cy: NDArray[np.float64],
        layers: list[FactorLayer], *, distances: tuple[float, ...] = DISTANCES_M, alpha: float = 0.05) -> RtmResult:
    """Fit the risk terrain model on the study cells (`counts`, centres `cx`, `cy` in metres)."""
    y = np.asarray(counts, dtype=float)
    ones = np.ones((y.size, 1))
    dispersion = _dispersion(y, ones)
    screened: list[tuple[int, float, float, float, float]] = []  # layer, distance, beta, p, aic
    columns: dict[tuple[int, float], NDArray[np.float64]] = {}
    for k, layer in enumerate(layers):
        for distance in distances:
            x = proximity(cx, cy, layer, distance)
            near = int(x.sum())
            if near == 0 or near == x.size:  # no contrast: nothing to estimate
                screened.append((k, distance, 0.0, 1.0, np.inf))
                continue
            columns[(k, distance)] = x
            res = _glm(y, np.column_stack([ones, x]), dispersion)
            if res is None:
                screened.append((k, distance, 0.0, 1.0, np.inf))
                continue
            screened.append((k, distance, float(res.params[1]), float(res.pvalues[1]), float(res.aic)))
    p_adjusted = _holm(np.array([s[3] for s in screened])) if screened else np.zeros(0)
    best: dict[int, tuple[float, float, float]] = {}  # layer → distance, adjusted p, aic
    for (k, distance, beta, _, aic), p in zip(screened, p_adjusted, strict=True):
        if beta > 0 and p < alpha and (k not in best or aic < best[k][2]):
            best[k] = (distance, float(p), aic)
    kept: list[int] = []
    for k in sorted(best, key=lambda k: best[k][1]):  # two factors with the same cells are one column
        column = columns[(k, best[k][0])]
        if not any(np.array_equal(column, columns[(j, best[j][0])]) for j in kept):
            kept.append(k)
    final: dict[int, tuple[float, float, float, float]] = {}  # layer → beta, low, high, adjusted p
    while kept:
        design = np.column_stack([ones] + [columns[(k, best[k][0])] for k in kept])
        dispersion = _dispersion(y, design)
        res = _glm(y, design, dispersion)
        if res is None:  # cannot be fitted together: the weakest of the screening goes
            kept.pop(max(range(len(kept)), key=lambda i: best[kept[i]][1]))
            continue
        params = np.asarray(res.params)[1:]
        pvals = np.asarray(res.pvalues)[1:]
        ci = np.asarray(res.conf_int(0.05))[1:]
        adjusted = _holm(pvals)
        weak = [i for i, (b, p) in enumerate(zip(params, adjusted, strict=True)) if b <= 0 or p >= alpha]
        if not weak:
            final = {k: (float(params[i]), float(ci[i][0]), float(ci[i][1]), float(adjusted[i]))
                     for i, k in enumerate(kept)}
            break
        kept.pop(max(weak, key=lambda i: adjusted[i]))  # the weakest goes first
    surface = np.ones(y.size)
    for k, (beta, _, _, _) in final.items():
        surface *= np.exp(beta * columns[(k, best[k][0])])
    results = []
    for k, layer in enumerate(layers):
        if k in final:
            beta, low, high, p = final[k]
            results.append(FactorResult(layer.code, layer.name, best[k][0], float(np.exp(beta)),
                                        (float(np.exp(low)), float(np.exp(high))), p, True,
                                        int(columns[(k, best[k][0])].sum())))
        else:
            tried = [p for s, p in zip(screened, p_adjusted, strict=True) if s[0] == k]
            results.append(FactorResult(layer.code, layer.name, None, None, None,
                                        float(min(tried)) if tried else 1.0, False, 0))
    results.sort(key=lambda f: (not f.significant, -(f.relative_risk or 0.0), f.name))
    return RtmResult(results, surface, int(y.size), int(y.sum()), len(screened), float(dispersion))
