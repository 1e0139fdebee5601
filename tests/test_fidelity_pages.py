"""Issue 15, points 25 and 26 below the browser: every region that scrolls sideways can be
reached by keyboard and is named (axe `scrollable-region-focusable`), on every page. The browser
tests check each page at 375 px for sideways scrolling."""

import re
from pathlib import Path

import varna

TEMPLATES = sorted(Path(varna.__file__).parent.rglob("templates/**/*.html"))
WRAP = re.compile(r"<div\b[^>]*\bclass=\"[^\"]*\btable-wrap\b[^\"]*\"[^>]*>")


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 50


def test_every_table_wrapper_is_a_focusable_named_region():
    missing = []
    for path in TEMPLATES:
        for tag in WRAP.findall(path.read_text()):
            named = "aria-labelledby=" in tag or "aria-label=" in tag
            # A named group, not a region: a region named like the section around it would be
            # a second landmark of the same name (axe `landmark-unique`).
            if 'tabindex="0"' not in tag or 'role="group"' not in tag or not named:
                missing.append(f"{path.relative_to(Path(varna.__file__).parent)}: {tag}")
    assert not missing, "\n".join(missing)


def test_a_labelledby_region_points_at_a_caption_in_the_same_template():
    for path in TEMPLATES:
        text = path.read_text()
        for tag in WRAP.findall(text):
            found = re.search(r'aria-labelledby="([^"]+)"', tag)
            if found:
                assert f'id="{found.group(1)}"' in text, (path, found.group(1))
