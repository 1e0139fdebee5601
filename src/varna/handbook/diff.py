"""What changed between two texts of a section, line by line over the Markdown as written.

The editor wrote Markdown, so the difference is shown in Markdown too: a reader sees the
lines that went and came, not a re-rendering in which a moved heading or a changed list
marker is hard to spot. Unchanged stretches are cut down to a few lines of context around
each change, with the number of lines left out.

difflib's matcher is quick on ordinary text but slow, in the worst case quadratic or worse,
on text that repeats a few lines many times (a body of 25,000 one-character lines takes it
half a minute). A section holds at most 50,000 characters, so any text is small, but the
page must not hang on a crafted one: the lines both texts share at the start and at the end
are set aside first (an edit usually touches one place), and when what remains would still
make too many candidate pairs for the matcher, the middle is shown as removed and added in
one block, which is still a true difference, only not the smallest one.
"""

import difflib
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

# Lines of unchanged text kept before and after each change.
CONTEXT = 3
# Above this many pairs of equal lines between the two middles, the matcher is not asked.
MAX_PAIRS = 20_000


class Mark(StrEnum):
    SAME = "same"
    REMOVED = "removed"
    ADDED = "added"
    SKIPPED = "skipped"  # unchanged lines left out; `skipped` says how many


@dataclass(frozen=True)
class Line:
    mark: Mark
    text: str = ""
    skipped: int = 0

    @property
    def shown(self) -> str:
        """The text with its leading spaces kept visible (they nest lists in Markdown)."""
        stripped = self.text.lstrip(" ")
        return "\u00a0" * (len(self.text) - len(stripped)) + stripped


def _common_ends(old: list[str], new: list[str]) -> tuple[int, int]:
    """How many lines the two texts share at the start, and then at the end."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    return start, end


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's operations turning `old` into `new`, or one replacement of the middle when
    the matcher would have too much to do."""
    start, end = _common_ends(old, new)
    middle_old, middle_new = old[start : len(old) - end], new[start : len(new) - end]
    matcher = difflib.SequenceMatcher(None, middle_old, middle_new)
    # The matcher pairs each old line with every equal new line, except the lines it sets
    # aside as too frequent: in 200 lines or more, those in over 1 % of them (its autojunk).
    counts = Counter(middle_new)
    frequent = len(middle_new) // 100 + 1 if len(middle_new) >= 200 else len(middle_new)
    pairs = sum(counts[line] for line in middle_old if counts[line] <= frequent)
    if pairs > MAX_PAIRS:
        middle = [("replace", 0, len(middle_old), 0, len(middle_new))]
    else:
        middle = list(matcher.get_opcodes())
    codes: list[tuple[str, int, int, int, int]] = []
    if start:
        codes.append(("equal", 0, start, 0, start))
    codes += [
        (tag, i1 + start, i2 + start, j1 + start, j2 + start)
        for tag, i1, i2, j1, j2 in middle
        if i1 != i2 or j1 != j2
    ]
    if end:
        codes.append(("equal", len(old) - end, len(old), len(new) - end, len(new)))
    return codes


def compare(old: str, new: str, *, context: int = CONTEXT) -> list[Line]:
    """The lines of `new` against `old`: removed, added, and unchanged ones near a change;
    an empty list when the two are the same."""
    if old == new:
        return []
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[Line] = []
    codes = _opcodes(old_lines, new_lines)
    for index, (tag, i1, i2, j1, j2) in enumerate(codes):
        if tag == "equal":
            same = old_lines[i1:i2]
            head = same[:context] if index > 0 else []
            tail = same[-context:] if index < len(codes) - 1 and context else []
            if len(head) + len(tail) >= len(same):
                head, tail = same, []
            lines += [Line(Mark.SAME, text) for text in head]
            left_out = len(same) - len(head) - len(tail)
            if left_out:
                lines.append(Line(Mark.SKIPPED, skipped=left_out))
            lines += [Line(Mark.SAME, text) for text in tail]
            continue
        lines += [Line(Mark.REMOVED, text) for text in old_lines[i1:i2]]
        lines += [Line(Mark.ADDED, text) for text in new_lines[j1:j2]]
    return lines
