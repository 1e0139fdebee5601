"""Sign-in's rows under the one access layer: a group's role mapping belongs to its unit."""

from varna.accounts.models import GroupRole
from varna.orgs import access

access.register_scoped(GroupRole, "unit__path")
