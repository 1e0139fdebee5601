"""The inbox filter's widgets, written out in Python.

Django renders every widget through the form renderer's templates: a select is one template,
plus an include per option and per attribute list, and the renderer's template engine is set up
on the first form a process shows. The inbox shows its filters on every page, so these widgets
write the same markup as Django's templates (django/forms/widgets/*.html, byte for byte, which
tests/test_cases_views.py checks) straight from the widget's context; like the form renderer,
without the whitespace around it.

The classes keep Django's names on purpose: `BoundField.widget_type`, which
templates/includes/field.html asks, is worked out from the class name. A widget given a
template of its own falls back to Django's rendering.
"""

from typing import Any

from django import forms
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe


def _text(value: Any) -> str:
    """{{ value }}: escaped unless already safe."""
    return str(conditional_escape(value))


def _formatted(value: Any) -> str:
    """{{ value|stringformat:"s" }}: the filter keeps a safe value safe, else it is escaped."""
    formatted = "%s" % (str(value) if isinstance(value, tuple) else value)
    return formatted if isinstance(value, SafeData) else escape(formatted)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class Select(forms.Select):
    TEMPLATE = "django/forms/widgets/select.html"
    OPTION_TEMPLATE = "django/forms/widgets/select_option.html"

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if self.template_name != self.TEMPLATE or self.option_template_name != self.OPTION_TEMPLATE:
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                html.append(f'\n  <optgroup label="{_text(group_name)}">')
            html.extend(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
                for option in group_choices
            )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


class _Input:
    """django/forms/widgets/input.html, which each input type's template includes."""

    TEMPLATE = ""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if self.template_name != self.TEMPLATE:  # type: ignore[attr-defined]
            return super().render(name, value, attrs, renderer)  # type: ignore[misc]
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        html = f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        if widget["value"] is not None:
            html += f' value="{_formatted(widget["value"])}"'
        return mark_safe(f"{html}{_attrs(widget['attrs'])}>")  # noqa: S308 - escaped above


class TextInput(_Input, forms.TextInput):
    TEMPLATE = "django/forms/widgets/text.html"


class CheckboxInput(_Input, forms.CheckboxInput):
    TEMPLATE = "django/forms/widgets/checkbox.html"
