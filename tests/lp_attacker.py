"""An attacker for the privacy tests who knows the perturbation table and reads every figure
shown, on every page, as a constraint on the unknown event counts: a figure shown as v is the
sum of its unknowns, and that sum is one of the counts the table can show as v
(varna.core.perturbation.possible). A linear program then finds the smallest and largest
value each small true count can take: at least as strong as subtracting sums."""

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from varna.core import perturbation


@dataclass
class Attacker:
    """Unknowns are named by any hashable; a figure is a sum of unknowns."""

    names: dict[object, int] = field(default_factory=dict)
    rows: list[tuple[tuple[int, ...], int, int]] = field(default_factory=list)
    secrets: dict[tuple[int, ...], tuple[str, int]] = field(default_factory=dict)

    def _index(self, name: object) -> int:
        return self.names.setdefault(name, len(self.names))

    def read(
        self, label: str, unknowns: Iterable[object], shown: int, true: int, *, secret: bool = True
    ) -> None:
        """One figure as a page shows it, the sum of these unknowns (`true` is its real value,
        kept to check the attacker's model and to know which figures are small; `secret`:
        whether to ask about it if it is small)."""
        key = tuple(sorted({self._index(name) for name in unknowns}))
        possible = perturbation.possible(shown)
        low, high = min(possible), max(possible)
        assert true in possible, f"{label}: the attacker's model is wrong"
        self.rows.append((key, low, high))
        if secret and 0 < true < perturbation.small():
            self.secrets.setdefault(key, (label, true))

    def worked_out(self) -> list[tuple[str, int]]:
        """The small true counts that have only one possible value."""
        size = len(self.names)
        rows, columns, values, bounds = [], [], [], []
        for number, (key, low, high) in enumerate(self.rows):
            rows += [2 * number] * len(key) + [2 * number + 1] * len(key)
            columns += [*key, *key]
            values += [1.0] * len(key) + [-1.0] * len(key)
            bounds += [high, -low]
        shape = (2 * len(self.rows), size)
        a_ub = coo_matrix((values, (rows, columns)), shape=shape).tocsr()
        b_ub = np.array(bounds, dtype=float)
        found = []
        for key, (label, true) in self.secrets.items():
            objective = np.zeros(size)
            objective[list(key)] = 1.0
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
