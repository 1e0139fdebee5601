"""What a handbook section can be tied to: the kinds of link and their choices.

The apps that own the things a section can be tied to register them here when they start
(their AppConfig.ready), so the handbook sits below them and never imports them: the
reporting app registers the forms, sub-forms, situations and places of events, the cases
app the steps of a case, the risk app the risk situations of an assessment.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise

Choices = Callable[[], Sequence[tuple[str, Promise | str]]]


@dataclass(frozen=True)
class LinkKind:
    key: str  # stored in SectionLink.kind: "form", "case_step", ...
    label: Promise | str
    choices: Choices

    def label_of(self, value: str) -> str:
        return str(dict(self.choices()).get(value, value))


_KINDS: dict[str, LinkKind] = {}


def register(key: str, label: Promise | str, choices: Choices) -> None:
    """Let sections be tied to `key`'s values (called once per kind, at start)."""
    _KINDS[key] = LinkKind(key, label, choices)


def kinds() -> list[LinkKind]:
    """Every registered kind, in the order registered."""
    return list(_KINDS.values())


def kind(key: str) -> LinkKind | None:
    return _KINDS.get(key)


# The keys the owning apps register (named here so that callers do not spell them twice).
FORM = "form"
SUBFORM = "subform"
SITUATION = "situation"
PLACE = "place"
CASE_STEP = "case_step"
RISK_SITUATION = "risk_situation"
