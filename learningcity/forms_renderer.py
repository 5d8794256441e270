"""The project's form renderer: Django's own widget markup, written in Python for the common
widgets instead of through a template per control and per option.

Django renders every widget through a template, and a <select> includes one more template per
option: the catalogue's filter form (17 fields, ~90 options) cost ~18 ms of a ~40 ms page, and a
dashboard's 2,000-provider select ~400 ms. `FastRenderer` produces the same bytes as
`DjangoTemplates` for the stock templates of the text-like inputs, checkboxes, selects and the
options of radio and checkbox lists (tests/ops/test_forms_renderer.py compares the two on every
widget type and on the project's forms); any other template, a template this project or an app
overrides, and a stock template whose source is not the one written for here (another Django
release) go through the templates as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from html import escape

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

WIDGETS = "django/forms/widgets/"
_INCLUDE_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
_INCLUDE_INPUT_OPTION = '{% include "django/forms/widgets/input_option.html" %}\n'
_ATTRS = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
    "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}{% endfor %}"
)
_INPUT = (
    '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %} '
    "value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
    '{% include "django/forms/widgets/attrs.html" %}>\n'
)
_INPUT_OPTION = (
    '{% if widget.wrap_label %}<label{% if widget.attrs.id %} for="{{ widget.attrs.id }}"{% endif %}>'
    '{% endif %}{% include "django/forms/widgets/input.html" %}'
    "{% if widget.wrap_label %} {{ widget.label }}</label>{% endif %}\n"
)
_SELECT = (
    '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
    "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
    '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
    "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
    "  </optgroup>{% endif %}{% endfor %}\n</select>\n"
)
_SELECT_OPTION = (
    "<option value=\"{{ widget.value|stringformat:'s' }}\""
    '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
)
_INPUT_TYPES = (
    "checkbox",
    "color",
    "date",
    "datetime",
    "email",
    "file",
    "hidden",
    "number",
    "password",
    "search",
    "tel",
    "text",
    "time",
    "url",
)
# The context of `{{ value }}` in the stock templates: autoescaped, localised, no time zone set.
_CONTEXT = Context()


def _text(value) -> str:
    """`{{ value }}` (a plain string, the common case, is only escaped: nothing to localise)."""
    if type(value) is str:
        return escape(value)
    return render_value_in_context(value, _CONTEXT)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` (a safe string stays safe: `"%s" % safe` is the safe string)."""
    if type(value) is str:
        return escape(value)
    return conditional_escape("%s" % (value,))  # noqa: UP031 (the filter's own operation)


def html_attributes(attrs: dict) -> str:
    """The attributes of a widget's tag as Django's attrs.html writes them (in the dict's order)."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value != None else ""  # noqa: E711 (the template's test)
    attrs = html_attributes(widget["attrs"])
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{attrs}>\n'


def _input_option(widget: dict) -> str:
    if not widget.get("wrap_label"):
        return _input(widget) + "\n"
    target = widget["attrs"].get("id")
    label_for = f' for="{_text(target)}"' if target else ""
    return f"<label{label_for}>{_input(widget)} {_text(widget['label'])}</label>\n"


def _option(option: dict) -> str:
    attrs = html_attributes(option["attrs"])
    return f'<option value="{_formatted(option["value"])}"{attrs}>{_text(option["label"])}</option>\n'


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{html_attributes(widget["attrs"])}>']
    for group_name, choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in choices:
            if option["template_name"] != WIDGETS + "select_option.html":
                return None
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


class FastRenderer(DjangoTemplates):
    """`DjangoTemplates`, with the stock widget templates listed above rendered in Python."""

    def render(self, template_name, context, request=None):
        write = self._writers.get(template_name)
        if write is None:
            return super().render(template_name, context, request=request)
        output = write(context["widget"])
        if output is None:  # a shape the Python writer does not cover (a custom option template)
            return super().render(template_name, context, request=request)
        return mark_safe(output.strip())  # noqa: S308 (every value in it went through conditional_escape)

    @cached_property
    def _writers(self) -> dict[str, Callable[[dict], str | None]]:
        """The templates written in Python: only where every template they stand for is the stock
        one this module reproduces, as this renderer's engine finds it."""
        writers: dict[str, Callable[[dict], str | None]] = {}
        if not self._stock(WIDGETS + "attrs.html") or not self._stock(WIDGETS + "input.html"):
            return writers
        for kind in _INPUT_TYPES:
            if self._source(f"{WIDGETS}{kind}.html") == _INCLUDE_INPUT:
                writers[f"{WIDGETS}{kind}.html"] = lambda widget: _input(widget) + "\n"
        writers[WIDGETS + "input.html"] = _input
        if self._stock(WIDGETS + "input_option.html"):
            writers[WIDGETS + "input_option.html"] = _input_option
            for kind in ("checkbox_option", "radio_option"):
                if self._source(f"{WIDGETS}{kind}.html") == _INCLUDE_INPUT_OPTION:
                    writers[f"{WIDGETS}{kind}.html"] = lambda widget: _input_option(widget) + "\n"
        if self._stock(WIDGETS + "select_option.html"):
            writers[WIDGETS + "select_option.html"] = _option
            if self._stock(WIDGETS + "select.html"):
                writers[WIDGETS + "select.html"] = _select
        return writers

    def _stock(self, name: str) -> bool:
        expected = {
            WIDGETS + "attrs.html": _ATTRS,
            WIDGETS + "input.html": _INPUT,
            WIDGETS + "input_option.html": _INPUT_OPTION,
            WIDGETS + "select.html": _SELECT,
            WIDGETS + "select_option.html": _SELECT_OPTION,
        }[name]
        return self._source(name) == expected

    def _source(self, name: str) -> str | None:
        try:
            return self.get_template(name).template.source
        except Exception:  # a template that cannot be loaded is simply not written here
            return None
