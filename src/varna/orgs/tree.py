"""The organisation tree's representation: a materialised path.

Every unit stores `path`, the concatenation of its ancestors' and its own primary keys, each
zero-padded to SEGMENT digits ("00000001" "00000004" "00000017" for a unit three levels down).
"Everything in this subtree" is then the half-open string range [path, successor(path)): one
B-tree range scan on the indexed column, the same plain SQL on PostgreSQL and SQLite, with no
recursion. We chose it over the alternatives because reads dominate (every access check and every
statistic filters on a subtree) while reorganisations are rare:
- an adjacency list alone needs a recursive CTE per query and cannot be joined cheaply;
- nested sets renumber half the tree on every insert;
- a closure table multiplies rows (units x depth) and must be kept in step on every move.
Moving a unit rewrites the paths of its subtree in one UPDATE (see services.move_unit).
Digits only keep ordering identical under every collation, so the range is safe on PostgreSQL
databases with a linguistic collation as well as on SQLite.
"""

from django.db.models import Q

SEGMENT = 8
MAX_DEPTH = 30
MAX_PATH = SEGMENT * MAX_DEPTH


def segment(pk: int) -> str:
    """The path segment of the unit with this primary key."""
    if pk >= 10**SEGMENT:
        raise ValueError("unit id too large for the tree path")
    return f"{pk:0{SEGMENT}d}"


def child_path(parent_path: str, pk: int) -> str:
    """The path of a unit with primary key `pk` under a unit with `parent_path`."""
    return f"{parent_path}{segment(pk)}"


def successor(path: str) -> str:
    """The smallest digit string of the same length that sorts after every extension of `path`."""
    return str(int(path) + 1).zfill(len(path))


def subtree_q(path: str, field: str = "path") -> Q:
    """A filter matching the unit at `path` and every unit below it."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": successor(path)})


def ancestor_paths(path: str) -> list[str]:
    """Paths of the unit at `path` and all its ancestors, root first."""
    return [path[:end] for end in range(SEGMENT, len(path) + 1, SEGMENT)]


def depth(path: str) -> int:
    """0 for a root."""
    return len(path) // SEGMENT - 1
