"""ADI / CV² classification (Syntetos-Boylan) and shares of zeros: known answers and the real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shared_data import M5_TINY

from restock.data.panel import DemandPanel
from restock.data.profile import (
    average_demand_interval,
    classify,
    profile_series,
    share_of_zeros,
    squared_cv_of_sizes,
    summarize,
)


def test_adi_and_cv2_known_answers() -> None:
    x = np.array([0, 0, 3, 0, 5, np.nan])
    assert average_demand_interval(x) == 2.5  # intervals 3 and 2, counted from the start of the span
    assert squared_cv_of_sizes(x) == pytest.approx(1 / 16)  # sizes 3, 5: variance 1, mean 4
    assert share_of_zeros(x) == 0.6
    assert average_demand_interval(np.ones(9)) == 1.0
    assert squared_cv_of_sizes(np.full(5, 4.0)) == 0.0
    assert np.isnan(average_demand_interval(np.zeros(4)))


@pytest.mark.parametrize(
    ("adi", "cv2", "label"),
    [
        (1.0, 0.1, "smooth"),
        (1.31, 0.489, "smooth"),
        (1.31, 0.49, "erratic"),
        (1.32, 0.1, "intermittent"),
        (3.0, 0.49, "lumpy"),
        (float("nan"), float("nan"), "no-demand"),
    ],
)
def test_classification_cuts(adi: float, cv2: float, label: str) -> None:
    assert classify(adi, cv2) == label


def test_profile_of_a_small_panel() -> None:
    frame = pd.DataFrame(
        {
            "series_id": ["smooth"] * 4 + ["lumpy"] * 4,
            "date": list(pd.date_range("2024-01-06", periods=4, freq="W-SAT")) * 2,
            "demand": [5, 6, 5, 6, 0, 1, 0, 9],
        }
    )
    per = profile_series(DemandPanel.from_frame(frame, freq="W-SAT"))
    assert per.loc["smooth", "demand_class"] == "smooth"
    assert per.loc["lumpy", "demand_class"] == "lumpy"  # ADI 2, CV² = 16/25
    assert per.loc["lumpy", "cv2"] == pytest.approx(16 / 25)


@pytest.mark.needs_data
def test_m5_tiny_profile_matches_the_raw_file(m5_tiny: DemandPanel) -> None:
    raw = pd.read_csv(M5_TINY / "sales_train_evaluation.csv").filter(like="d_").to_numpy(dtype=float)
    assert (raw == 0).mean() == pytest.approx(0.506, abs=0.001)  # "about half of all cells" (README)
    first = (raw > 0).argmax(axis=1)
    in_span = np.arange(raw.shape[1])[None, :] >= first[:, None]
    summary = summarize(m5_tiny)
    assert summary["cells"] == in_span.sum()
    assert summary["share_zero"] == pytest.approx((raw[in_span] == 0).mean())
    shares = [float(summary[f"share_{c}"]) for c in ("smooth", "intermittent", "erratic", "lumpy")]
    assert sum(shares) == pytest.approx(1.0)
    assert min(shares) > 0.1  # the subset was chosen to cover all four classes
