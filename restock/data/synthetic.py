"""The synthetic retail catalog: a daily demand panel that looks like retail, and its exact TRUTH.

``generate_catalog(SyntheticConfig())`` is the embedded default data set (``make demo``, ``--data
synthetic``). Items belong to categories and departments and are sold in every store (a SKU = item x store,
as in M5). The daily demand of SKU ``s`` on day ``t`` is drawn, independently across days given the truth, as

    D[s, t] = B[s, t] + J[s, t]
    B ~ ZINB(mu[s, t], size[s], zero_prob[s])       zero w.p. zero_prob, else negative binomial
    J ~ 0 w.p. 1 - spike_prob[s], else NB(spike_scale[s] * mu[s, t], spike_size)      rare heavy spikes

where NB(m, r) is the negative binomial with mean m and variance m + m²/r (a gamma-Poisson mixture) and

    mu[s, t] = level[s] * life[i, t] * trend[i, t] * weekly[i, dow] * yearly[i, doy] * holiday[c, t]
               * (price[s, t] / base_price[s]) ** elasticity[c] * shelf[s, t]

for item ``i`` of category ``c``: a product life cycle (launch ramp, maturity, decline, end of life; some
items are on sale before day 0, new ones keep launching), a log-linear trend, a weekday profile, a yearly
season, holiday uplifts (the holiday itself and the days before), and the price effect of weekly prices
with promotions; ``shelf`` is 0 during off-shelf spells (out of stock or temporarily delisted: the long
zero runs of real data, known to the truth). The spikes are **part of the known distribution** (a compound
component with a small
daily probability), so the true-distribution forecaster accounts for them; which days they hit is random.

The truth (:class:`SyntheticTruth`) keeps every parameter needed to evaluate the exact distribution of any
sum of days: ``mu`` per series and day (0 outside a series' span), and ``size``, ``zero_prob``,
``spike_prob``, ``spike_scale`` per series. Everything is drawn from ``restock.seeding`` generators spawned
from ``config.seed``: the same config gives the same catalog, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    Holiday,
    USLaborDay,
    USMemorialDay,
    USThanksgivingDay,
)
from pandas.tseries.offsets import DateOffset, Day, Easter

from restock.data.panel import DemandPanel
from restock.errors import InputError
from restock.seeding import generator


@dataclass(frozen=True)
class SyntheticConfig:
    """Everything that shapes the synthetic catalog (defaults tuned to resemble M5's demand profile)."""

    n_skus: int = 2000
    """Number of SKUs (item x store series)."""
    n_stores: int = 10
    """Stores; every item is sold in every store, so there are ceil(n_skus / n_stores) items."""
    n_days: int = 1092
    """Length of the daily panel (1092 days = 156 weeks = 3 years)."""
    start: str = "2021-01-02"
    """First day (a Saturday, so that W-SAT weeks, Saturday to Friday, start on day 0)."""
    seed: int = 0
    """Root seed (restock.seeding); each component draws from its own spawned generator."""
    categories: tuple[str, ...] = ("FOODS", "HOUSEHOLD", "HOBBIES")
    """Category names."""
    category_weights: tuple[float, ...] = (0.5, 0.3, 0.2)
    """Share of items in each category."""
    depts_per_category: int = 3
    """Departments per category (names CATEGORY_1 .. CATEGORY_k)."""
    elasticity: tuple[float, ...] = (-1.5, -2.0, -2.5)
    """Price elasticity of demand per category: mu scales as (price / base price) ** elasticity."""
    base_price_median: tuple[float, ...] = (3.0, 6.0, 8.0)
    """Median regular price per category (log-normal across items, sd 0.5 in logs)."""
    level_log_mean: float = 1.1
    """Mean of log(level): level is the mature daily mean of the NB part before seasonality and prices."""
    level_log_sd: float = 2.0
    """Sd of log(level) across SKUs (store effects included)."""
    level_max: float = 100.0
    """Cap on the mature daily level (the log-normal's far tail would give thousands a day)."""
    size_log_mean: float = 2.0
    """Mean of log(NB size) across SKUs; a small size means over-dispersed (erratic, lumpy) demand."""
    size_log_sd: float = 1.2
    """Sd of log(NB size) across SKUs."""
    zero_prob_beta: tuple[float, float] = (0.15, 3.0)
    """Beta(a, b) of the zero-inflation probability per SKU (mean a / (a + b))."""
    trend_sd: float = 0.15
    """Sd of the per-item log trend per year (0.15: about +-15% a year)."""
    weekly_profile: tuple[float, ...] = (0.92, 0.88, 0.86, 0.88, 0.98, 1.25, 1.23)
    """Weekday multipliers Monday .. Sunday (weekends busier, as in M5), before per-item noise."""
    yearly_amplitude: float = 0.25
    """Mean amplitude of the yearly season in logs (per item: exponential with this mean)."""
    share_existing: float = 0.65
    """Share of items already on sale on day 0; the others launch during the panel."""
    ramp_days: tuple[int, int] = (14, 90)
    """Range of the launch ramp (days from launch to maturity)."""
    maturity_days_median: float = 900.0
    """Median days of maturity (log-normal, sd 0.6 in logs)."""
    decline_days: tuple[int, int] = (60, 200)
    """Range of the decline phase (demand falls linearly to 25% of maturity, then end of life)."""
    min_span_days: int = 56
    """Launches are placed so that every series is on sale at least this many days."""
    promo_week_prob: float = 0.04
    """Probability that an item starts a promotion in a given week (promotions last 1 or 2 weeks)."""
    promo_discount: tuple[float, float] = (0.1, 0.4)
    """Range of promotional discounts (share of the regular price)."""
    price_change_week_prob: float = 0.01
    """Probability per item and week of a permanent regular-price change (+-3 to 12%)."""
    holiday_uplift: tuple[float, ...] = (0.5, 0.2, 0.6)
    """Extra demand per category on the days before a holiday (0.5 = +50%)."""
    holiday_lead_days: int = 3
    """Days before a holiday that get the uplift."""
    holiday_day_factor: float = 0.7
    """Multiplier of demand on the holiday itself (0.05 on Christmas day)."""
    spike_prob_mean: float = 0.001
    """Mean daily probability of a heavy spike per SKU (exponential across SKUs)."""
    spike_scale_median: float = 10.0
    """Median size of a spike, as a multiple of the day's mu (log-normal, sd 0.5 in logs)."""
    spike_size: float = 1.0
    """NB size of a spike (1 = geometric: heavy)."""
    off_shelf_rate: float = 0.010
    """Mean daily probability that a SKU on the shelf goes off it (out of stock, delisted for a while);
    per SKU exponential around this mean. Off-shelf days have mu = 0 inside the span, as M5's zero runs."""
    off_shelf_days: float = 30.0
    """Mean length in days of an off-shelf spell (geometric)."""

    def __post_init__(self) -> None:
        checks = {
            "n_skus": self.n_skus >= 1,
            "n_stores": self.n_stores >= 1,
            "n_days": self.n_days >= self.min_span_days >= 7,
            "categories": len(self.categories) >= 1,
            "category_weights": len(self.category_weights) == len(self.categories),
            "elasticity": len(self.elasticity) == len(self.categories),
            "base_price_median": len(self.base_price_median) == len(self.categories),
            "holiday_uplift": len(self.holiday_uplift) == len(self.categories),
            "weekly_profile": len(self.weekly_profile) == 7,
            "share_existing": 0.0 <= self.share_existing <= 1.0,
            "promo_week_prob": 0.0 <= self.promo_week_prob <= 1.0,
            "spike_prob_mean": 0.0 <= self.spike_prob_mean < 0.5,
            "off_shelf_rate": 0.0 <= self.off_shelf_rate < 1.0,
            "off_shelf_days": self.off_shelf_days >= 1.0,
            "seed": self.seed >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"SyntheticConfig: invalid {name} = {getattr(self, name)!r}")


@dataclass(frozen=True)
class SyntheticTruth:
    """The exact daily demand distribution of every series (see the module docstring for the model)."""

    series_ids: list[str]
    """Series in panel order (sorted)."""
    dates: pd.DatetimeIndex
    """The daily grid: one entry per column of ``mu``."""
    mu: np.ndarray
    """[S, T] mean of the NB component of each day; 0 outside the series' span (no demand at all)."""
    size: np.ndarray
    """[S] NB size (dispersion): variance of the NB part = mu + mu² / size (``inf``: Poisson)."""
    zero_prob: np.ndarray
    """[S] zero-inflation probability of the base component."""
    spike_prob: np.ndarray
    """[S] daily probability of a spike."""
    spike_scale: np.ndarray
    """[S] mean spike size as a multiple of the day's mu."""
    spike_size: float
    """NB size of the spike component."""
    span: np.ndarray = field(repr=False)
    """[S, 2] first day index and one-past-last day index of each series' span."""

    def mean(self) -> np.ndarray:
        """Expected daily demand [S, T]."""
        return self.moments()[0]

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of daily demand [S, T] (see :func:`day_moments`)."""
        return day_moments(
            self.mu, self.size, self.zero_prob, self.spike_prob, self.spike_scale, self.spike_size
        )

    def in_span(self) -> np.ndarray:
        """[S, T] bool: the day is inside the series' span."""
        t = np.arange(len(self.dates))[None, :]
        return (t >= self.span[:, :1]) & (t < self.span[:, 1:])

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One fresh draw of daily demand [S, T] from the truth (0 outside spans)."""
        return sample_demand(
            self.mu, self.size, self.zero_prob, self.spike_prob, self.spike_scale, self.spike_size, rng
        )

    def day_index(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """Column of each date in ``mu``; an InputError names the first date the truth does not cover."""
        idx = self.dates.get_indexer(dates)
        if (idx < 0).any():
            bad = dates[int(np.flatnonzero(idx < 0)[0])]
            raise InputError(
                f"synthetic truth covers {self.dates[0].date()} .. {self.dates[-1].date()}, "
                f"not {pd.Timestamp(bad).date()}"
            )
        return idx


@dataclass(frozen=True)
class SyntheticCatalog:
    """A generated catalog: the daily panel, its truth, and the config that made it."""

    panel: DemandPanel
    truth: SyntheticTruth
    config: SyntheticConfig


def day_moments(
    mu: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance [S, T] of D = ZINB(mu, size, zero_prob) + spike (per-series params [S])."""
    r = size[:, None]
    inv_r = np.where(np.isfinite(r), 1.0 / np.where(np.isfinite(r), r, 1.0), 0.0)
    zp, sp, c = zero_prob[:, None], spike_prob[:, None], spike_scale[:, None]
    mean_b = (1.0 - zp) * mu
    var_b = (1.0 - zp) * (mu + mu**2 * inv_r + mu**2) - mean_b**2  # E[B^2] - E[B]^2
    sm = c * mu
    mean_j = sp * sm
    var_j = sp * (sm + sm**2 / spike_size + sm**2) - mean_j**2
    return mean_b + mean_j, var_b + var_j


def sample_demand(
    mu: np.ndarray,
    size: np.ndarray,
    zero_prob: np.ndarray,
    spike_prob: np.ndarray,
    spike_scale: np.ndarray,
    spike_size: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw D = ZINB(mu, size, zero_prob) + spike for each cell of ``mu`` [S, T] (per-series params [S])."""
    r = np.broadcast_to(size[:, None], mu.shape)
    poisson = ~np.isfinite(r)  # size = inf: the NB part is Poisson(mu)
    r_safe = np.where(poisson, 1.0, r)
    lam = np.where(poisson, mu, rng.gamma(shape=r_safe, scale=mu / r_safe))
    base = rng.poisson(lam)
    base = np.where(rng.random(mu.shape) < zero_prob[:, None], 0, base)
    hit = rng.random(mu.shape) < spike_prob[:, None]
    spike_mu = spike_scale[:, None] * mu
    spike = rng.poisson(rng.gamma(shape=spike_size, size=mu.shape) * spike_mu / spike_size)
    return (base + np.where(hit, spike, 0)).astype("float64")


class _Holidays(AbstractHolidayCalendar):
    rules = [  # noqa: RUF012 (pandas' calendar API takes a class attribute)
        Holiday("NewYear", month=1, day=1),
        Holiday("SuperBowl", month=2, day=1, offset=DateOffset(weekday=6)),
        Holiday("ValentinesDay", month=2, day=14),
        Holiday("Easter", month=1, day=1, offset=[Easter(), Day(0)]),
        USMemorialDay,
        Holiday("IndependenceDay", month=7, day=4),
        USLaborDay,
        Holiday("Halloween", month=10, day=31),
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25),
    ]


def holiday_dates(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The catalog's holidays (US retail events) between ``start`` and ``end``."""
    return _Holidays().holidays(start, end)


def generate_catalog(config: SyntheticConfig | None = None) -> SyntheticCatalog:
    """Generate the synthetic catalog (panel + truth) for ``config`` (deterministic given its seed)."""
    cfg = config or SyntheticConfig()
    dates = pd.date_range(pd.Timestamp(cfg.start), periods=cfg.n_days, freq="D")
    n_items = -(-cfg.n_skus // cfg.n_stores)
    n_cat = len(cfg.categories)
    T = cfg.n_days

    # ---- items: category, department, life cycle, price, seasonality, trend
    rng = generator(cfg.seed, "synthetic/items")
    weights = np.asarray(cfg.category_weights, dtype=float)
    cat = rng.choice(n_cat, size=n_items, p=weights / weights.sum())
    dept = rng.integers(0, cfg.depts_per_category, size=n_items)
    life = _life_cycles(cfg, n_items, rng)
    trend = np.exp(rng.normal(0.0, cfg.trend_sd, n_items)[:, None] * (np.arange(T) / 365.25)[None, :])
    weekly = np.asarray(cfg.weekly_profile)[None, :] * np.exp(rng.normal(0.0, 0.05, (n_items, 7)))
    amp = rng.exponential(cfg.yearly_amplitude, n_items)
    phase = rng.uniform(0.0, 2 * np.pi, n_items)
    doy = dates.dayofyear.to_numpy() / 365.25
    yearly = np.exp(amp[:, None] * np.cos(2 * np.pi * doy[None, :] - phase[:, None]))
    seasonal = weekly[:, dates.dayofweek.to_numpy()] * yearly * trend * life
    base_price = np.asarray(cfg.base_price_median)[cat] * np.exp(rng.normal(0.0, 0.5, n_items))
    item_price, promo = _weekly_prices(cfg, base_price, T, generator(cfg.seed, "synthetic/prices"))

    holiday, hol_factor = _holiday_effects(cfg, dates)  # [T], [n_cat, T]

    # ---- SKUs = item x store, in item-major order, then sorted by id
    rng = generator(cfg.seed, "synthetic/skus")
    item_of = np.arange(cfg.n_skus) // cfg.n_stores
    store_of = np.arange(cfg.n_skus) % cfg.n_stores
    cat_s = cat[item_of]
    store_price = np.exp(rng.normal(0.0, 0.03, cfg.n_skus))
    price = np.round(item_price[item_of] * store_price[:, None], 2)
    sku_base_price = base_price[item_of] * store_price
    level = np.minimum(np.exp(rng.normal(cfg.level_log_mean, cfg.level_log_sd, cfg.n_skus)), cfg.level_max)
    size = np.exp(rng.normal(cfg.size_log_mean, cfg.size_log_sd, cfg.n_skus))
    zero_prob = rng.beta(*cfg.zero_prob_beta, size=cfg.n_skus)
    spike_prob = np.minimum(rng.exponential(cfg.spike_prob_mean, cfg.n_skus), 0.05)
    spike_scale = cfg.spike_scale_median * np.exp(rng.normal(0.0, 0.5, cfg.n_skus))

    elasticity = np.asarray(cfg.elasticity)[cat_s]
    price_effect = (price / sku_base_price[:, None]) ** elasticity[:, None]
    mu = level[:, None] * seasonal[item_of] * hol_factor[cat_s] * price_effect
    span = np.stack([(life > 0).argmax(axis=1), T - (life[:, ::-1] > 0).argmax(axis=1)], axis=1)[item_of]
    on_shelf = _on_shelf(cfg, generator(cfg.seed, "synthetic/shelf"))
    mu = np.where((life[item_of] > 0) & on_shelf, mu, 0.0)

    ids = np.array(
        [
            f"{cfg.categories[cat[i]]}_{dept[i] + 1}_{i:04d}_S{store_of[k] + 1:02d}"
            for k, i in enumerate(item_of)
        ]
    )
    order = np.argsort(ids, kind="stable")
    ids, item_of, store_of, cat_s = ids[order], item_of[order], store_of[order], cat_s[order]
    mu, price, span = mu[order], price[order], span[order]
    size, zero_prob, spike_prob, spike_scale = (
        size[order],
        zero_prob[order],
        spike_prob[order],
        spike_scale[order],
    )

    truth = SyntheticTruth(
        series_ids=ids.tolist(),
        dates=dates,
        mu=mu,
        size=size,
        zero_prob=zero_prob,
        spike_prob=spike_prob,
        spike_scale=spike_scale,
        spike_size=cfg.spike_size,
        span=span,
    )
    demand = truth.sample(generator(cfg.seed, "synthetic/demand"))

    rows, cols = np.nonzero(truth.in_span())
    frame = pd.DataFrame(
        {
            "series_id": ids[rows],
            "date": dates.to_numpy()[cols],
            "demand": demand[rows, cols],
            "price": price[rows, cols],
            "holiday": holiday[cols],
            "promo": promo[item_of[rows], cols],
        }
    )
    static = pd.DataFrame(
        {
            "item": [f"{cfg.categories[cat[i]]}_{dept[i] + 1}_{i:04d}" for i in item_of],
            "dept": [f"{cfg.categories[cat[i]]}_{dept[i] + 1}" for i in item_of],
            "category": [cfg.categories[c] for c in cat_s],
            "store": [f"S{s + 1:02d}" for s in store_of],
        },
        index=pd.Index(ids, name="series_id"),
    )
    panel = DemandPanel.from_frame(frame, freq="D", static=static, source=f"synthetic(seed={cfg.seed})")
    return SyntheticCatalog(panel=panel, truth=truth, config=cfg)


# ---------------------------------------------------------------------------------------------- pieces
def _life_cycles(cfg: SyntheticConfig, n_items: int, rng: np.random.Generator) -> np.ndarray:
    """[items, T] life cycle: 0 before launch and after end of life, ramp 0.1 -> 1, decline -> 0.25."""
    T = cfg.n_days
    existing = rng.random(n_items) < cfg.share_existing
    ramp = rng.integers(cfg.ramp_days[0], cfg.ramp_days[1] + 1, n_items)
    mature = np.rint(cfg.maturity_days_median * np.exp(rng.normal(0.0, 0.6, n_items))).astype(int)
    decline = rng.integers(cfg.decline_days[0], cfg.decline_days[1] + 1, n_items)
    total = ramp + mature + decline
    # Existing items launched up to 3 years before day 0 but still on sale for min_span_days;
    # new items launch during the panel, early enough to be on sale min_span_days.
    launch_new = rng.integers(1, max(2, T - cfg.min_span_days), n_items)
    back = rng.integers(0, 3 * 365, n_items)
    launch_old = -np.minimum(back, np.maximum(total - cfg.min_span_days, 0))
    launch = np.where(existing, launch_old, launch_new)
    t = np.arange(T)[None, :] - launch[:, None]
    r, m, d = ramp[:, None], mature[:, None], decline[:, None]
    curve = np.select(
        [t < 0, t < r, t < r + m, t < r + m + d],
        [0.0, 0.1 + 0.9 * t / r, 1.0, 1.0 - 0.75 * (t - r - m) / d],
        default=0.0,
    )
    return curve


def _on_shelf(cfg: SyntheticConfig, rng: np.random.Generator) -> np.ndarray:
    """[S, T] bool: the SKU is on the shelf (a two-state Markov chain per SKU, starting on the shelf)."""
    go_off = np.minimum(rng.exponential(cfg.off_shelf_rate, cfg.n_skus), 0.2)
    come_back = 1.0 / cfg.off_shelf_days
    u = rng.random((cfg.n_skus, cfg.n_days))
    state = np.ones((cfg.n_skus, cfg.n_days), dtype=bool)
    for t in range(1, cfg.n_days):
        prev = state[:, t - 1]
        state[:, t] = np.where(prev, u[:, t] >= go_off, u[:, t] < come_back)
    return state


def _weekly_prices(
    cfg: SyntheticConfig, base_price: np.ndarray, T: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Daily item prices [items, T], constant within Saturday-Friday weeks, and the promo flag [items, T]."""
    n_items, n_weeks = len(base_price), -(-T // 7)
    change = rng.random((n_items, n_weeks)) < cfg.price_change_week_prob
    step = np.where(
        change, rng.uniform(0.03, 0.12, (n_items, n_weeks)) * rng.choice([-1, 1], (n_items, n_weeks)), 0
    )
    regular = base_price[:, None] * np.exp(np.cumsum(step, axis=1))
    start = rng.random((n_items, n_weeks)) < cfg.promo_week_prob
    two = rng.random((n_items, n_weeks)) < 0.5
    on = start.copy()
    on[:, 1:] |= start[:, :-1] & two[:, :-1]
    discount = rng.uniform(*cfg.promo_discount, (n_items, n_weeks))
    weekly = regular * np.where(on, 1.0 - discount, 1.0)
    day_week = np.arange(T) // 7
    return weekly[:, day_week], on[:, day_week].astype("float64")


def _holiday_effects(cfg: SyntheticConfig, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """The 0/1 holiday covariate [T] and the demand multiplier per category and day [n_cat, T]."""
    hol = holiday_dates(dates[0], dates[-1] + pd.Timedelta(days=cfg.holiday_lead_days))
    flag = dates.isin(hol).astype("float64")
    before = np.zeros(len(dates), dtype=bool)
    for k in range(1, cfg.holiday_lead_days + 1):
        before |= (dates + pd.Timedelta(days=k)).isin(hol)
    uplift = np.asarray(cfg.holiday_uplift)[:, None]
    factor = np.where(before[None, :], 1.0 + uplift, 1.0)
    day_factor = np.where((dates.month == 12) & (dates.day == 25), 0.05, cfg.holiday_day_factor)
    factor = np.where(flag[None, :] > 0, day_factor[None, :], factor)
    return np.asarray(flag), factor
