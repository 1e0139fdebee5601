"""Who may see and do what with risk assessments: the risk side of the one access layer."""

from varna.orgs import access
from varna.risk.models import Assessment, PlanMeasure

access.register_scoped(Assessment, "unit__path")
access.register_scoped(PlanMeasure, "unit__path")
