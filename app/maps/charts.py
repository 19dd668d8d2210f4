"""Charts for the printed lägesbild (matplotlib, PNG data URLs): readers would rather look than read tables."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

WEEKDAYS_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def hour_weekday_heatmap(matrix: Sequence[Sequence[int]], title: str = "Händelser per veckodag och timme") -> str:
    data = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    image = ax.imshow(data, aspect="auto", cmap="YlOrRd")
    ax.set_yticks(range(7), WEEKDAYS_SV)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("timme")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    return _png(fig)


def category_bars(labels: Sequence[str], current: Sequence[int], previous: Sequence[int],
                  last_year: Sequence[int]) -> str:
    y = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(labels) + 1))
    ax.barh(y - 0.27, current, height=0.27, color="#bd0026", label="denna period")
    ax.barh(y, previous, height=0.27, color="#fd8d3c", label="föregående period")
    ax.barh(y + 0.27, last_year, height=0.27, color="#bdbdbd", label="samma period i fjol")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel("antal händelser")
    return _png(fig)


def monthly_bars(labels: Sequence[str], current: Sequence[int], before: Sequence[int],
                 current_label: str = "detta halvår", before_label: str = "samma halvår året innan") -> str:
    """Month by month against the same months a year earlier (the citizen-promise follow-up)."""
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.bar(x - 0.2, before, width=0.4, color="#bdbdbd", label=before_label)
    ax.bar(x + 0.2, current, width=0.4, color="#bd0026", label=current_label)
    ax.set_xticks(x, labels)
    ax.set_ylabel("antal händelser")
    ax.legend(fontsize=8)
    return _png(fig)
