"""Write the feature table of a formula CSV (for use in any other tool)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from matnn.core.exceptions import DataError, require
from matnn.data.composition.featurizers import feature_labels, featurize, required_elements
from matnn.data.composition.loader import load_formula_csv, read_csv_frame, read_csv_header
from matnn.data.composition.parsing import parse_formulas

__all__ = ["featurize_csv"]


def featurize_csv(
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    features: str = "magpie",
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "keep",
    formula_column: str = "formula",
    target_column: str = "target",
) -> dict[str, Any]:
    """Featurize ``data`` and write ``out/features.csv`` (formula, [target,] features) and ``metrics.json``.

    The target column is optional here; when present the loader's policies apply.
    """
    pd = require("pandas", "composition")
    from matnn.utils.io import atomic_path, write_metrics

    t0 = time.perf_counter()
    path = Path(data)
    head = read_csv_header(path)
    allowed = required_elements(features)
    if target_column in head:
        table = load_formula_csv(
            path,
            formula_column=formula_column,
            target_column=target_column,
            allowed_elements=allowed,
            drop_invalid=drop_invalid,
            max_abs_target=max_abs_target,
            duplicates=duplicates,
        )
        formulas, y, X, report = table.formulas, table.y, table.features(features), table.report
    else:
        if formula_column not in head:
            raise DataError(f"{path}: no column {formula_column!r}; found {', '.join(map(repr, map(str, head)))}.")
        raw = read_csv_frame(path, dtype={formula_column: str})[formula_column].tolist()
        parsed, invalid = parse_formulas(
            raw,
            allowed=allowed,
            on_error="collect" if drop_invalid else "raise",
            row_label=lambda i: f"{path} line {i + 2}",
        )
        formulas, y, X, report = parsed.formulas, None, featurize(parsed, features), {"n_invalid_dropped": len(invalid)}
    frame = pd.DataFrame(X, columns=feature_labels(features))
    if y is not None:
        frame.insert(0, target_column, y)
    frame.insert(0, "formula", formulas)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_dir / "features.csv") as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")
    metrics = {
        "n_rows": len(formulas),
        "n_features": int(X.shape[1]),
        "features": features,
        "time_s": time.perf_counter() - t0,
    }
    metrics.update({f"data_{k}": v for k, v in report.items()})
    write_metrics(out_dir, metrics)
    return metrics
