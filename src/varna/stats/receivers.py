"""Follow-up listens to the organisation: a move in the tree leaves the subtrees it changed to
be folded again."""

from typing import Any

from django.dispatch import receiver

from varna.orgs.signals import units_moved
from varna.stats import services


@receiver(units_moved, dispatch_uid="stats.mark_moved")
def mark_moved(sender: Any, moves: list[tuple[str, str]], **kwargs: Any) -> None:
    services.mark_moved(moves=moves)
