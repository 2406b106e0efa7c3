"""``formula,target`` tables: reading, validation, the outlier policy and duplicate handling.

Policies (each one reported in :attr:`CompositionTable.report`, never applied silently):

* **Invalid rows** — an unparsable formula, an element the chosen features do not support, or a
  missing/non-numeric/infinite target.  Default: a :class:`~matnn.core.exceptions.DataError`
  naming the count and the first rows (file, line, column, value, reason).  With
  ``drop_invalid=True`` those rows are dropped and counted (``n_invalid_dropped``).
* **Outliers** — ``max_abs_target=5.0`` keeps rows with ``|target| <= 5`` (ElemNet's filter for
  formation enthalpies in eV/atom; the OQMD files hold 69 train and 13 val rows beyond it, down to
  about -199 eV/atom).  Default ``None``: no filter.  Count in ``n_outliers_dropped``.
* **Duplicates** — rows whose *normalised* compositions agree (``Fe2O3`` and ``Fe4O6`` are the
  same input to every composition model).  ``duplicates='mean'`` (default) merges each group into
  one row with the mean target (so a formula cannot sit in both a training and a test fold);
  ``'first'`` keeps the first row; ``'keep'`` keeps all; ``'error'`` raises.  Counts in
  ``n_duplicate_rows_removed`` and ``duplicate_groups``; ``duplicate_target_mad`` is the mean
  absolute deviation of targets inside the groups (how much the label itself is uncertain).

Line numbers in messages are 1-based file lines (the header is line 1).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matnn.core.exceptions import DataError, require
from matnn.data.composition.featurizers import featurize
from matnn.data.composition.parsing import ParsedFormulas, parse_formulas

__all__ = [
    "CompositionTable",
    "load_formula_csv",
    "load_tabular_csv",
    "read_csv_header",
    "read_csv_frame",
    "DUPLICATE_POLICIES",
    "ELEMNET_MAX_ABS_TARGET",
    "MAX_ABS_VALUE",
]

DUPLICATE_POLICIES = ("mean", "first", "keep", "error")
#: ElemNet's outlier filter for formation enthalpies: keep |y| <= 5 eV/atom.
ELEMNET_MAX_ABS_TARGET = 5.0
#: Largest magnitude accepted for a target or numeric feature: beyond it, squares overflow float32 training
#: (1e15² = 1e30 < 3.4e38) and the value is almost surely a unit or parsing error.
MAX_ABS_VALUE = 1e15


def _check_text_file(path: Path) -> None:
    """Refuse folders, missing, empty and binary files before pandas sees them (its messages are misleading there)."""
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a CSV file.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc}).") from None
    if not head.strip():
        raise DataError(f"{path} is empty; expected a CSV table with a header line (e.g. 'formula,target').")
    if b"\x00" in head:
        raise DataError(f"{path} is a binary file, not a CSV text table.")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at the read boundary
            raise DataError(
                f"{path} is not UTF-8 text (byte {exc.start}: {head[exc.start : exc.start + 1]!r}); "
                "expected a CSV text table."
            ) from None


def read_csv_header(path: str | os.PathLike) -> list[str]:
    """Column names of a CSV file's header (line 1), refusing duplicated names.

    Raises
    ------
    DataError
        Folder, missing, empty, binary or non-UTF-8 file, or a column name that occurs twice.
    """
    import csv

    path = Path(path)
    _check_text_file(path)
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        try:
            header = next(csv.reader(fh), [])
        except csv.Error as exc:
            raise DataError(f"{path}: line 1 is not a CSV header ({exc}).") from None
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DataError(
                f"{path}: line 1 names column {name!r} twice (columns {seen[name] + 1} and {i + 1}); "
                "each column needs its own name."
            )
        seen[name] = i
    if not any(names):
        raise DataError(f"{path}: line 1 holds no column names.")
    return names


def read_csv_frame(path: str | os.PathLike, **kwargs: Any):
    """``pandas.read_csv(path, **kwargs)`` after the checks of :func:`read_csv_header`; errors are one-line DataErrors."""
    pd = require("pandas", "composition")
    path = Path(path)
    read_csv_header(path)
    try:
        return pd.read_csv(path, **kwargs)
    except Exception as exc:  # bad quoting, ragged rows, encoding
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        raise DataError(f"{path}: cannot read as CSV ({type(exc).__name__}: {lines[-1] if lines else ''}).") from None


@dataclass
class CompositionTable:
    """Formulas with one target each, ready for featurisation.

    Attributes
    ----------
    formulas : list of str, length n_rows
    y : ndarray of float64, shape (n_rows,)
        Targets in the file's unit (e.g. eV/atom, eV, MPa).
    parsed : ParsedFormulas
    source : str
        File the table came from (or a description).
    report : dict
        Flat counts of what the policies did (see module docstring).
    """

    formulas: list[str]
    y: np.ndarray
    parsed: ParsedFormulas
    source: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    _features: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.formulas)

    def features(self, kind: str = "magpie") -> np.ndarray:
        """Feature matrix (cached), shape (n_rows, n_features); see :func:`~matnn.data.composition.featurize`."""
        if kind not in self._features:
            self._features[kind] = featurize(self.parsed, kind)
        return self._features[kind]

    def subset(self, index: Sequence[int] | np.ndarray) -> CompositionTable:
        """Rows ``index`` (positions or boolean mask), cached features sliced along."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        sub = CompositionTable(
            [self.formulas[i] for i in idx], self.y[idx].copy(), self.parsed.subset(idx), self.source, dict(self.report)
        )
        sub._features = {k: v[idx] for k, v in self._features.items()}
        return sub

    def keys(self) -> list[str]:
        """Normalised-composition key per row (for overlap and duplicate checks)."""
        return self.parsed.keys()


def _line(i: int) -> int:
    return i + 2  # header on line 1, row 0 on line 2


def _show(value: object) -> str:
    """A cell for an error message: blank cells (read as NaN) appear as ''."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return "''"
    return repr(value)


def _format_problems(path: str, problems: list[tuple[int, str, object, str]], limit: int = 5) -> str:
    shown = "; ".join(
        f"line {_line(i)}, column {col!r}, value {_show(val)}: {why.rstrip('.')}"
        for i, col, val, why in problems[:limit]
    )
    more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
    return f"{path}: {len(problems)} unusable row(s): {shown}{more}"


def load_formula_csv(
    path: str | os.PathLike,
    *,
    formula_column: str = "formula",
    target_column: str = "target",
    allowed_elements: Sequence[str] | None = None,
    drop_invalid: bool = False,
    max_abs_target: float | None = None,
    duplicates: str = "mean",
) -> CompositionTable:
    """Read a ``formula,target`` CSV and apply the invalid-row, outlier and duplicate policies.

    Parameters
    ----------
    path : path-like
        CSV with a header; other columns are ignored.
    formula_column, target_column : str
        Column names (default ``formula`` and ``target``).
    allowed_elements : sequence of str, optional
        Elements the intended features support (e.g. ElemNet's 86); others make the row invalid.
    drop_invalid : bool, default=False
        Drop invalid rows (counted) instead of raising.
    max_abs_target : float, optional
        Keep only rows with ``|target| <= max_abs_target`` (5.0 = ElemNet's eV/atom filter).
    duplicates : {'mean', 'first', 'keep', 'error'}, default='mean'

    Returns
    -------
    CompositionTable

    Raises
    ------
    DataError
        Missing file columns, invalid rows (unless ``drop_invalid``), duplicates with
        ``duplicates='error'``, or nothing left after the policies.
    """
    pd = require("pandas", "composition")
    path = Path(path)
    if duplicates not in DUPLICATE_POLICIES:
        raise DataError(f"duplicates must be one of {', '.join(DUPLICATE_POLICIES)}. Got {duplicates!r} instead.")
    if max_abs_target is not None and not max_abs_target > 0:
        raise DataError(f"max_abs_target must be a positive number or None. Got {max_abs_target!r} instead.")
    if not path.exists():
        raise DataError(f"{path}: no such file (expected a CSV with columns {formula_column!r}, {target_column!r}).")
    df = read_csv_frame(path, dtype={formula_column: str}, keep_default_na=False, na_values=[""])
    missing = [c for c in (formula_column, target_column) if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(repr, map(str, df.columns)))}. "
            "Use formula_column=/target_column= (--formula-column/--target-column) to name them."
        )
    n_read = len(df)
    if n_read == 0:
        raise DataError(f"{path}: no data rows.")
    formulas = df[formula_column].tolist()
    y_raw = pd.to_numeric(df[target_column], errors="coerce").to_numpy(dtype=np.float64)
    problems: list[tuple[int, str, object, str]] = []
    bad_target = ~np.isfinite(y_raw)
    for i in np.flatnonzero(bad_target):
        problems.append(
            (int(i), target_column, df[target_column].iloc[i], "target is missing, not a number or infinite")
        )
    for i in np.flatnonzero(np.isfinite(y_raw) & (np.abs(y_raw) > MAX_ABS_VALUE)):
        problems.append(
            (int(i), target_column, df[target_column].iloc[i], f"target magnitude beyond {MAX_ABS_VALUE:g}")
        )
    parsed_all, invalid = parse_formulas(formulas, allowed=allowed_elements, on_error="collect")
    for bad in invalid:
        problems.append((bad.row, formula_column, bad.formula, bad.reason))
    problems.sort()
    valid_rows = np.setdiff1d(np.arange(n_read), [p[0] for p in problems])
    if problems and not drop_invalid:
        raise DataError(
            _format_problems(str(path), problems)
            + ". Fix them or drop them explicitly (drop_invalid=True / --drop-invalid)."
        )
    # parse_formulas returned only the parsable rows, in order: map them back to file rows.
    parsed_rows = np.setdiff1d(np.arange(n_read), [b.row for b in invalid])
    keep_in_parsed = np.isin(parsed_rows, valid_rows)
    parsed = parsed_all.subset(np.flatnonzero(keep_in_parsed))
    y = y_raw[valid_rows]
    rows = valid_rows
    report: dict[str, Any] = {"n_rows_read": n_read, "n_invalid_dropped": len(set(p[0] for p in problems))}

    n_out = 0
    if max_abs_target is not None:
        inside = np.abs(y) <= max_abs_target
        n_out = int((~inside).sum())
        parsed, y, rows = parsed.subset(inside), y[inside], rows[inside]
    report["max_abs_target"] = max_abs_target
    report["n_outliers_dropped"] = n_out

    keys = parsed.keys()
    codes, first_index, inverse = np.unique(np.asarray(keys, dtype=object), return_index=True, return_inverse=True)
    counts = np.bincount(inverse)
    dup_groups = int((counts > 1).sum())
    n_dup_rows = int(len(keys) - len(codes))
    mad = 0.0
    if dup_groups:
        group_mean = np.bincount(inverse, weights=y) / counts
        in_dup = counts[inverse] > 1
        mad = float(np.mean(np.abs(y[in_dup] - group_mean[inverse][in_dup])))
    if dup_groups and duplicates == "error":
        ex = [i for i in range(len(keys)) if counts[inverse[i]] > 1][:4]
        listing = ", ".join(f"line {_line(int(rows[i]))} {parsed.formulas[i]!r}" for i in ex)
        raise DataError(
            f"{path}: {dup_groups} composition(s) occur more than once ({n_dup_rows} extra rows), e.g. {listing}. "
            "Choose duplicates='mean', 'first' or 'keep' (--duplicates)."
        )
    removed = 0
    if dup_groups and duplicates in ("mean", "first"):
        order = np.sort(first_index)  # first occurrence of each composition, in file order
        new_y = y[order]
        if duplicates == "mean":
            group_mean = np.bincount(inverse, weights=y) / counts
            new_y = group_mean[inverse[order]]
        parsed, y, rows = parsed.subset(order), new_y, rows[order]
        removed = n_dup_rows
    report.update(
        {
            "duplicates": duplicates,
            "duplicate_groups": dup_groups,
            "n_duplicate_rows_removed": removed,
            "duplicate_target_mad": mad,
            "n_rows": len(y),
        }
    )
    if len(y) == 0:
        raise DataError(f"{path}: no rows left after the invalid-row, outlier and duplicate policies ({report}).")
    return CompositionTable(list(parsed.formulas), np.asarray(y, dtype=np.float64), parsed, str(path), report)


def load_tabular_csv(
    path: str | os.PathLike,
    *,
    target_column: str,
    feature_columns: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a numeric table for the generic dense network.

    Parameters
    ----------
    path : path-like
        CSV with a header.
    target_column : str
    feature_columns : sequence of str, optional
        Default: every column except the target.

    Returns
    -------
    X : ndarray of float64, shape (n_rows, n_features)
    y : ndarray of float64, shape (n_rows,)
    columns : list of str, the feature names

    Raises
    ------
    DataError
        Missing columns, or a non-numeric/missing value (names the line and column).
    """
    pd = require("pandas", "composition")
    path = Path(path)
    df = read_csv_frame(path)
    cols = [c for c in df.columns if c != target_column] if feature_columns is None else list(feature_columns)
    missing = [c for c in [*cols, target_column] if c not in df.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(repr, map(str, df.columns)))}."
        )
    if not cols:
        raise DataError(f"{path}: no feature columns besides the target {target_column!r}.")
    out = {}
    for c in [*cols, target_column]:
        values = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~(np.abs(values) <= MAX_ABS_VALUE))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                f"{path}: column {c!r} has {len(bad)} missing or non-numeric value(s), first at line "
                f"{_line(i)} ({_show(df[c].iloc[i])}). Every feature and target must be a finite number of magnitude "
                f"at most {MAX_ABS_VALUE:g}."
            )
        out[c] = values
    X = np.column_stack([out[c] for c in cols])
    return X, out[target_column], [str(c) for c in cols]
