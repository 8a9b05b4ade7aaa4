"""Markdown tables of DataFrames (GitHub pipe tables), without the optional ``tabulate`` dependency.

>>> import pandas as pd
>>> print(markdown_table(pd.DataFrame({"policy": ["a"], "profit": [1234.5678]})))
| policy | profit |
|---|---:|
| a | 1,235 |
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def fmt(value: object) -> str:
    """A cell: floats to 4 significant digits (thousands separated from 10,000), text with ``|`` escaped."""
    if isinstance(value, float | np.floating):
        v = float(value)
        if not np.isfinite(v):
            return str(v)
        return f"{v:,.4g}" if abs(v) < 1e3 else f"{v:,.0f}"
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a pipe table; numeric columns right-aligned."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    align = (
        "|"
        + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---" for c in frame.columns)
        + "|"
    )
    rows = ["| " + " | ".join(fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, align, *rows])
