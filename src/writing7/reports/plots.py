"""PNG plots of an evaluation: reliability diagrams, ROC curves, score histograms by pair type.

Figures are built with matplotlib's object API and rendered by the Agg backend (no display, no
global pyplot state), into the path the caller gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from writing7.metrics.calibration_error import reliability_bins
from writing7.metrics.evaluation import SystemOutput


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def _finite(labels: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(values)
    return labels[keep], values[keep]


def reliability_diagram(path: Path, labels: np.ndarray, outputs: Sequence[SystemOutput], *, bins: int, title: str) -> Path:
    """Observed frequency against mean probability per bin, one line per system, the diagonal for reference."""
    figure = Figure(figsize=(5.5, 5))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for output in outputs:
        kept_labels, kept = _finite(labels, output.probabilities)
        if kept.size == 0:
            continue
        table = reliability_bins(kept_labels, kept, bins=bins)
        filled = table.count > 0
        axes.plot(table.confidence[filled], table.frequency[filled], marker="o", markersize=3, label=output.name)
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="mean predicted probability", ylabel="fraction positive", title=title)
    axes.legend(fontsize=7, loc="upper left")
    return _save(figure, path)


def roc_curves(path: Path, labels: np.ndarray, outputs: Sequence[SystemOutput], *, title: str) -> Path:
    """ROC curve of each system's probability (systems whose labels hold one class are skipped)."""
    figure = Figure(figsize=(5.5, 5))
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    for output in outputs:
        kept_labels, kept = _finite(labels, output.probabilities)
        if kept_labels.all() or not kept_labels.any():
            continue
        false_positive_rate, true_positive_rate, _ = roc_curve(kept_labels, kept)
        axes.plot(false_positive_rate, true_positive_rate, label=output.name)
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="false positive rate", ylabel="true positive rate", title=title)
    axes.legend(fontsize=7, loc="lower right")
    return _save(figure, path)


def score_histograms(path: Path, panels: Mapping[str, Mapping[str, np.ndarray]], *, bins: int = 30) -> Path:
    """One panel per score (e.g. calibrated book / author probability), one histogram per pair type."""
    figure = Figure(figsize=(5.5 * len(panels), 4))
    edges = np.linspace(0.0, 1.0, bins + 1)
    for position, (panel_title, groups) in enumerate(panels.items(), start=1):
        axes = figure.add_subplot(1, len(panels), position)
        for group, values in groups.items():
            values = values[~np.isnan(values)]
            if values.size:
                axes.hist(values, bins=edges, density=True, histtype="step", linewidth=1.5, label=f"{group} ({values.size})")
        axes.set(xlim=(0, 1), xlabel=panel_title, ylabel="density")
        axes.legend(fontsize=7)
    return _save(figure, path)
