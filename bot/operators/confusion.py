"""A confusion-matrix image of intents: which intent was expected (rows), which predicted (columns).

Drawn with matplotlib's Agg backend (no display needed). Each cell holds the
number of messages; its colour is the share of its row, so a small intent's
mistakes are as visible as a large one's. Predicted labels are shown as the
model gave them (``nlu_fallback`` gets its own column: "not understood"). The
columns are the rows' intents in the same order (the diagonal is right), then
any intent predicted but never expected.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence


def confusion_counts(expected: Sequence[str],
                     predicted: Sequence[str]) -> tuple[list[str], list[str], list[list[int]]]:
    """Count messages per (expected, predicted) pair.

    Returns:
        The rows (intents expected, sorted), the columns (the rows, then the
        intents only predicted) and ``counts[row][column]``.

    """
    pairs = Counter(zip(expected, predicted, strict=True))
    rows = sorted(set(expected))
    columns = rows + sorted(set(predicted) - set(rows))
    return rows, columns, [[pairs[(row, column)] for column in columns] for row in rows]


def write_confusion_png(expected: Sequence[str], predicted: Sequence[str], path: Path,
                        title: str = "") -> Path:
    """Draw the confusion matrix into a PNG file.

    Args:
        expected: The annotated intent of each message.
        predicted: The predicted intent of each message.
        path: The PNG file to write (its folder is created).
        title: A title above the matrix.

    Returns:
        The path written.

    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, columns, counts = confusion_counts(expected, predicted)
    totals = [sum(row) or 1 for row in counts]
    shares = [[count / total for count in row] for row, total in zip(counts, totals, strict=True)]
    width, height = (max(6.0, 0.42 * len(labels) + 3.0) for labels in (columns, rows))
    figure, axes = plt.subplots(figsize=(width + 1.0, height))
    try:
        image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        axes.set_xticks(range(len(columns)), columns, rotation=90, fontsize=9)
        axes.set_yticks(range(len(rows)), rows, fontsize=9)
        axes.set_xlabel("predicted intent")
        axes.set_ylabel("expected intent")
        if title:
            axes.set_title(title, fontsize=10)
        for row, values in enumerate(counts):
            for column, count in enumerate(values):
                if count:
                    dark = shares[row][column] > 0.6
                    axes.text(column, row, str(count), ha="center", va="center", fontsize=8,
                              color="white" if dark else "black")
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the expected intent")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path
