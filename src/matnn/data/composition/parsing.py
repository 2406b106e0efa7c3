"""Chemical formulas → element amounts, with pymatgen's ``Composition`` doing the parsing.

pymatgen understands fractional amounts (``Fe0.620C0.000953Mn0.000521``), parentheses and
brackets (``Ag(W3Br7)2``), repeated elements (``FeOFe``) and isotopes (``D2O`` is counted as H).
On top of it this module adds what a table loader needs: every failure says which row, which
formula and which element, many formulas are parsed in one call (each distinct string once), and
the result is a padded array form that the featurizers vectorise over.

Shapes: ``n_formulas`` rows; ``max_elements`` = the largest number of distinct elements in any one
formula (padding has atomic number 0 and amount 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from matnn.core.exceptions import DataError, require
from matnn.data.composition.elements import ALL_ELEMENTS

__all__ = ["FormulaError", "ParsedFormulas", "parse_formula", "parse_formulas", "composition_key"]

_Z_OF = {symbol: i + 1 for i, symbol in enumerate(ALL_ELEMENTS)}

#: Largest amount of one element a formula may state. Real formulas stay far below it (a unit cell of a
#: protein crystal holds ~1e5 atoms); larger values are typos such as "Fe1e307O" and would overflow the
#: weighted features to inf.
MAX_AMOUNT = 1e6


class FormulaError(DataError):
    """A chemical formula cannot be parsed or contains an element that is not supported.

    Attributes
    ----------
    formula : str
        The formula as written.
    element : str or None
        The offending element symbol, when one is to blame.
    row : int or None
        Zero-based position in the list (or table) being parsed.
    """

    def __init__(self, message: str, *, formula: object = None, element: str | None = None, row: int | None = None):
        super().__init__(message)
        self.formula = formula
        self.element = element
        self.row = row


def _describe_row(row: int | None) -> str:
    return "" if row is None else f"row {row}: "


def parse_formula(formula: object, *, row: int | None = None, allowed: Iterable[str] | None = None) -> dict[str, float]:
    """Parse one formula into ``{element symbol: amount}`` (amounts as written, not normalised).

    Parameters
    ----------
    formula : str
        E.g. ``"Fe2O3"``, ``"Ag(W3Br7)2"``, ``"Fe0.620C0.000953"``.
    row : int, optional
        Position used in error messages.
    allowed : iterable of str, optional
        Supported element symbols (e.g. :data:`~matnn.data.composition.ELEMNET_ELEMENTS`); an element
        outside the set raises :class:`FormulaError` naming it.  Default: any element H–Og.

    Raises
    ------
    FormulaError
        Empty or unparsable text, an unknown symbol (pymatgen's dummy species such as ``Xx``), a
        negative amount, zero atoms, or an element outside ``allowed``.
    """
    comp = require("pymatgen.core", "composition")
    where = _describe_row(row)
    if not isinstance(formula, str) or not formula.strip():
        # A blank CSV cell arrives as NaN (float); show it as empty text, not 'nan'.
        shown = formula if isinstance(formula, str) else ""
        raise FormulaError(f"{where}empty formula {shown!r}; expected text such as 'Fe2O3'.", formula=formula, row=row)
    try:
        amounts = comp.Composition(formula).get_el_amt_dict()
    except Exception as exc:  # pymatgen raises ValueError/KeyError with terse texts
        reason = str(exc).strip().rstrip(".") or type(exc).__name__
        raise FormulaError(
            f"{where}cannot parse formula {formula!r} ({reason}). Formulas are element symbols with optional "
            "amounts and parentheses, e.g. 'Fe2O3', 'Ag(W3Br7)2', 'Fe0.62Ni0.19Co0.15'.",
            formula=formula,
            row=row,
        ) from None
    out: dict[str, float] = {}
    allowed_set = None if allowed is None else set(allowed)
    for symbol, amount in amounts.items():
        if symbol not in _Z_OF:
            raise FormulaError(
                f"{where}formula {formula!r} contains {symbol!r}, which is not a chemical element.",
                formula=formula,
                element=symbol,
                row=row,
            )
        if allowed_set is not None and symbol not in allowed_set:
            raise FormulaError(
                f"{where}formula {formula!r} contains element {symbol!r}, which is not among the "
                f"{len(allowed_set)} supported elements of this featurization.",
                formula=formula,
                element=symbol,
                row=row,
            )
        if not math.isfinite(amount) or amount < 0 or amount > MAX_AMOUNT:
            raise FormulaError(
                f"{where}formula {formula!r} has amount {amount!r} for {symbol}; amounts must be in "
                f"[0, {MAX_AMOUNT:g}].",
                formula=formula,
                element=symbol,
                row=row,
            )
        if amount > 0:
            out[symbol] = float(amount)
    if not out:
        raise FormulaError(f"{where}formula {formula!r} contains no atoms.", formula=formula, row=row)
    return out


def composition_key(amounts: dict[str, float], decimals: int = 8) -> str:
    """Canonical text of the *normalised* composition: ``Fe2O3`` and ``Fe4O6`` give the same key."""
    total = sum(amounts.values())
    return " ".join(f"{el}{round(a / total, decimals):.{decimals}f}" for el, a in sorted(amounts.items()))


@dataclass(frozen=True)
class ParsedFormulas:
    """Many parsed formulas in padded-array form.

    Attributes
    ----------
    formulas : list of str, length n_formulas
        The formulas as written.
    z : ndarray of int16, shape (n_formulas, max_elements)
        Atomic numbers of the elements in each formula (0 = padding).
    amounts : ndarray of float64, shape (n_formulas, max_elements)
        Amount of each element as written (not normalised; 0 = padding).
    """

    formulas: list[str]
    z: np.ndarray
    amounts: np.ndarray
    _keys: list[str] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.formulas)

    @property
    def fractions(self) -> np.ndarray:
        """Atomic fractions, shape (n_formulas, max_elements); each row sums to 1."""
        return self.amounts / self.amounts.sum(axis=1, keepdims=True)

    def elements_of(self, i: int) -> dict[str, float]:
        """``{symbol: amount}`` of formula ``i``."""
        return {ALL_ELEMENTS[z - 1]: float(a) for z, a in zip(self.z[i], self.amounts[i], strict=True) if z > 0}

    def keys(self, decimals: int = 8) -> list[str]:
        """Canonical normalised-composition key per formula (see :func:`composition_key`)."""
        return [composition_key(self.elements_of(i), decimals) for i in range(len(self))]

    def subset(self, index: Sequence[int] | np.ndarray) -> ParsedFormulas:
        """Rows ``index`` (integer positions or a boolean mask), padding trimmed."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        z, amounts = self.z[idx], self.amounts[idx]
        width = int((z > 0).sum(axis=1).max()) if len(idx) else 0
        return ParsedFormulas([self.formulas[i] for i in idx], z[:, :width].copy(), amounts[:, :width].copy())

    def chemical_systems(self) -> list[str]:
        """Chemical system of each formula: its element symbols sorted and joined by '-' (e.g. 'Fe-O')."""
        return ["-".join(sorted(ALL_ELEMENTS[z - 1] for z in row if z > 0)) for row in self.z]

    def present_elements(self) -> list[str]:
        """Sorted symbols of every element that occurs at least once."""
        return [ALL_ELEMENTS[z - 1] for z in np.unique(self.z[self.z > 0])]


@dataclass(frozen=True)
class InvalidFormula:
    """A formula that could not be used: its position, text, offending element and reason."""

    row: int
    formula: object
    element: str | None
    reason: str


def parse_formulas(
    formulas: Sequence[object],
    *,
    allowed: Iterable[str] | None = None,
    on_error: str = "raise",
    row_label=None,
) -> tuple[ParsedFormulas, list[InvalidFormula]]:
    """Parse a list of formulas (each distinct string once) into :class:`ParsedFormulas`.

    Parameters
    ----------
    formulas : sequence of str, length n
    allowed : iterable of str, optional
        Supported elements; default any element H–Og.
    on_error : {'raise', 'collect'}, default='raise'
        ``'raise'``: the first bad formula raises :class:`FormulaError` (with its row).
        ``'collect'``: bad formulas are left out of the result and returned as the second value.
    row_label : callable, optional
        ``row_label(i)`` → text naming row ``i`` in messages (e.g. ``"data.csv line 12"``).

    Returns
    -------
    parsed : ParsedFormulas
        The usable formulas, in input order.
    invalid : list of InvalidFormula
        Empty unless ``on_error='collect'``; ``row`` is the position in ``formulas``.
    """
    if on_error not in ("raise", "collect"):
        raise DataError(f"on_error must be 'raise' or 'collect'. Got {on_error!r} instead.")
    allowed_t = None if allowed is None else frozenset(allowed)
    cache: dict[object, dict[str, float] | FormulaError] = {}
    good_rows: list[int] = []
    good_amounts: list[dict[str, float]] = []
    invalid: list[InvalidFormula] = []
    for i, f in enumerate(formulas):
        key = f if isinstance(f, str) else repr(f)
        hit = cache.get(key)
        if hit is None:
            try:
                hit = parse_formula(f, allowed=allowed_t)
            except FormulaError as exc:
                hit = exc
            cache[key] = hit
        if isinstance(hit, FormulaError):
            label = row_label(i) if row_label is not None else f"row {i}"
            if on_error == "raise":
                raise FormulaError(f"{label}: {hit}", formula=f, element=hit.element, row=i) from None
            invalid.append(InvalidFormula(i, f, hit.element, str(hit)))
            continue
        good_rows.append(i)
        good_amounts.append(hit)
    width = max((len(a) for a in good_amounts), default=0)
    z = np.zeros((len(good_amounts), width), dtype=np.int16)
    amounts = np.zeros((len(good_amounts), width), dtype=np.float64)
    for r, amt in enumerate(good_amounts):
        for c, (symbol, value) in enumerate(amt.items()):
            z[r, c] = _Z_OF[symbol]
            amounts[r, c] = value
    return ParsedFormulas([str(formulas[i]) for i in good_rows], z, amounts), invalid
