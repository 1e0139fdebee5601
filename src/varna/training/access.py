"""Who sees and registers training: the training side of the one access layer.

Managers and HR see who in their subtree holds which training and who is due or overdue
(VIEW_TRAINING), and register completed courses for those people (REGISTER_TRAINING).
Everyone sees their own training. Courses and requirements are kept per municipality by its
administrators, in the admin. A person is reached through their employments: a manager
registers a course only for someone employed inside the manager's subtree.
"""

from django.db.models import QuerySet

from varna.orgs import access
from varna.orgs.access import Action, AnyUser
from varna.orgs.models import Employment, User
from varna.training.models import Course, Requirement

access.register_scoped(Course, "municipality__path")
access.register_scoped(Requirement, "course__municipality__path")


def staff_in_scope(user: AnyUser, action: Action = Action.REGISTER_TRAINING) -> QuerySet[User]:
    """People employed in a unit where the user may do `action`."""
    employments = access.visible(user, action, Employment.objects.all())
    return User.objects.filter(pk__in=employments.values("user"))
