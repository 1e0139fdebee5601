"""An attacker for the small-number tests who reads every figure shown, on every page, as a
linear constraint on the unknown event counts and solves for the smallest and largest value
each hidden figure can take (a linear program, so at least as strong as subtracting sums)."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

from varna.stats.suppression import Figure

K = 5


@dataclass
class Attacker:
    """Unknowns are named by any hashable; a figure is a sum of unknowns."""

    k: int = K
    names: dict[object, int] = field(default_factory=dict)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    secrets: list[tuple[str, tuple[object, ...], int]] = field(default_factory=list)

    def _index(self, name: object) -> int:
        return self.names.setdefault(name, len(self.names))

    def read(
        self,
        label: str,
        unknowns: Iterable[object],
        figure: Figure,
        true: int,
        *,
        withheld: bool = False,
        small_total: bool = False,
    ) -> None:
        """One figure as a page shows it, the sum of these unknowns (`true` is its real
        value, kept to check the attacker's model and to know which figures are small)."""
        unknowns = tuple(unknowns)
        coefficients = {self._index(name): 1.0 for name in unknowns}
        if figure.value is not None:
            assert figure.value == true, f"{label} is shown wrong"
            low, high = figure.value, figure.value
        elif figure.secondary:
            low, high = (0 if withheld else self.k), float("inf")
        else:
            low, high = (0 if small_total or withheld else 1), self.k - 1
        assert low <= true <= high, f"{label}: the attacker's model is wrong"
        self.rows.append((coefficients, low, high))
        if figure.hidden and 0 < true < self.k:
            self.secrets.append((label, unknowns, true))

    def secret(self, label: str, unknowns: Iterable[object], true: int) -> None:
        """A figure no page shows, which must not be worked out either when it is small."""
        unknowns = tuple(unknowns)
        for name in unknowns:
            self._index(name)
        if 0 < true < self.k:
            self.secrets.append((label, unknowns, true))

    def worked_out(self) -> list[tuple[str, int]]:
        """The small hidden figures that have only one possible value."""
        size = len(self.names)
        upper, bound = [], []
        for coefficients, low, high in self.rows:
            vector = np.zeros(size)
            for index, value in coefficients.items():
                vector[index] = value
            if high != float("inf"):
                upper.append(vector)
                bound.append(high)
            if low > 0:
                upper.append(-vector)
                bound.append(-low)
        a_ub = np.array(upper) if upper else None
        b_ub = np.array(bound) if bound else None
        found = []
        seen = set()
        for label, unknowns, true in self.secrets:
            key = tuple(sorted(self.names[name] for name in unknowns))
            if key in seen:
                continue
            seen.add(key)
            objective = np.zeros(size)
            for name in unknowns:
                objective[self.names[name]] = 1.0
            low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
            assert low.status == 0, f"{label}: the attacker's constraints are inconsistent"
            if high.status != 0:
                continue  # unbounded above: not worked out
            smallest, largest = low.fun, -high.fun
            assert smallest - 1e-6 <= true <= largest + 1e-6
            if largest - smallest < 0.5:
                found.append((label, true))
        return found
