"""The reliability diagram of the article-level tone confidence, as a PNG for the model card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt

__all__ = ["plot_reliability"]

Bins = Sequence[Mapping[str, float]]


def plot_reliability(shipped: Bins, reference: Bins | None, path: Path) -> None:
    """Accuracy against mean confidence per bin (marker area ~ rows), the diagonal, and below it
    the share of articles per confidence bin."""
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(5.5, 6.5), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    series = [("this model (out-of-fold)", shipped, "tab:blue")]
    if reference is not None:
        series.append(("1.1.0", reference, "tab:orange"))
    for label, bins, colour in series:
        conf = [b["confidence"] for b in bins]
        acc = [b["accuracy"] for b in bins]
        sizes = [max(b["n"], 1) * 0.6 for b in bins]
        top.plot(conf, acc, color=colour, marker="o", markersize=0, label=label)
        top.scatter(conf, acc, s=sizes, color=colour, alpha=0.6)
        total = sum(b["n"] for b in bins)
        centres = [(b["low"] + b["high"]) / 2 for b in bins]
        offset = -0.02 if colour == "tab:blue" else 0.02
        bottom.bar([c + offset for c in centres], [b["n"] / total for b in bins], width=0.04,
                   color=colour, alpha=0.7)  # fmt: skip
    top.axvline(0.7, color="black", linewidth=0.8, linestyle=":")
    top.set_ylabel("accuracy of the tone label")
    top.set_xlim(0.3, 1.0)
    top.set_ylim(0.0, 1.0)
    top.set_title("Article tone: confidence vs accuracy, 1,251 labelled articles")
    top.legend(loc="upper left", fontsize=8)
    bottom.set_xlabel("model confidence (probability of the label); dotted: the 0.7 cut")
    bottom.set_ylabel("share")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
