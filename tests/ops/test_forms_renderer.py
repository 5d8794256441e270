"""The project's form renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

import datetime as dt
import inspect
from types import SimpleNamespace

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from learningcity import forms_renderer
from learningcity.dashboards import forms as dashboard_forms
from learningcity.forms_renderer import FastRenderer
from participants import forms as participant_forms
from participants.staff import forms as participant_staff_forms
from programmes import forms as programme_forms
from programmes.staff import forms as programme_staff_forms

HOSTILE = '<script>alert("x")</script> \' & "; DROP TABLE x;-- ภาษาไทย ๑๒๓ \u200b'
CHOICES = [
    ("", "---------"),
    (1, "หนึ่ง"),
    ("two", HOSTILE),
    ("Group <b>", [("g1", "In a group"), ("g2", gettext_lazy("Online"))]),
    (3, mark_safe("<em>safe label</em>")),
]


class EveryWidget(forms.Form):
    text = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"placeholder": HOSTILE, "autofocus": True, "data-safe": mark_safe("<b>&amp;")}),
    )
    number = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"inputmode": "numeric", "x": None}))
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"disabled": False}))
    datetime = forms.DateTimeField(required=False)
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search"}))
    color = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "color"}))
    tel = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "tel", "class": "a b"}))
    checkbox = forms.BooleanField(required=False)
    select = forms.ChoiceField(required=False, choices=CHOICES)
    select_multiple = forms.MultipleChoiceField(required=False, choices=CHOICES)
    radio = forms.ChoiceField(required=False, choices=CHOICES, widget=forms.RadioSelect)
    checkboxes = forms.MultipleChoiceField(required=False, choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    integer_choice = forms.TypedChoiceField(required=False, coerce=int, choices=[(n, n) for n in range(3)])
    area = forms.CharField(required=False, widget=forms.Textarea)
    file = forms.FileField(required=False)


DATA = [
    {},
    {
        "text": HOSTILE,
        "number": "12",
        "email": "a@b.c",
        "hidden": '"><img src=x>',
        "date": "2026-11-24",
        "time": "17:30",
        "checkbox": "on",
        "select": "two",
        "select_multiple": ["1", "g2", "3"],
        "radio": "g1",
        "checkboxes": ["two", "g2"],
        "integer_choice": "2",
        "area": HOSTILE,
    },
    {"number": "x" * 500, "date": "31/02/2026", "select": "nope", "radio": HOSTILE, "checkboxes": [HOSTILE]},
]


def _rendered(form_class, renderer, *, data=None, **kwargs) -> list[str]:
    """Every widget of the form, whole and choice by choice (as the catalogue draws its checkboxes)."""
    form = (
        form_class(data, renderer=renderer, **kwargs) if data is not None else form_class(renderer=renderer, **kwargs)
    )
    out = [str(form)]
    for field in form:
        out.append(str(field))
        out.extend(choice.tag() for choice in field.subwidgets if hasattr(choice, "tag"))
    return out


@pytest.mark.parametrize("data", DATA, ids=["unbound", "filled", "invalid"])
@pytest.mark.parametrize("language", ["th", "en"])
def test_every_widget_is_written_as_the_templates_write_it(data, language):
    with override(language):
        initial = {"date": dt.date(2026, 1, 2), "select": 1, "checkboxes": [1, "g1"], "checkbox": True}
        expected = _rendered(EveryWidget, DjangoTemplates(), data=data or None, initial=initial)
        fast = FastRenderer()
        assert _rendered(EveryWidget, fast, data=data or None, initial=initial) == expected
    # The Python writers were used (else this test would compare the templates with themselves).
    assert {
        "django/forms/widgets/text.html",
        "django/forms/widgets/checkbox.html",
        "django/forms/widgets/select.html",
        "django/forms/widgets/radio_option.html",
        "django/forms/widgets/checkbox_option.html",
    } <= set(fast._writers)


def _project_forms():
    for module in (programme_forms, programme_staff_forms, participant_forms, participant_staff_forms, dashboard_forms):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


@pytest.mark.django_db
def test_the_project_forms_are_written_as_the_templates_write_them():
    compared = 0
    for form_class in _project_forms():
        try:
            expected = _rendered(form_class, DjangoTemplates())
        except TypeError:  # needs arguments of its own (a user, a course): covered below or by its page
            continue
        assert _rendered(form_class, FastRenderer()) == expected, form_class.__name__
        compared += 1
    assert compared >= 10
    filters = {
        "districts": [SimpleNamespace(pk=1, name="เมือง <เชียงใหม่>"), SimpleNamespace(pk=2, name="Hang Dong")],
        "categories": [SimpleNamespace(slug="music", name="ดนตรี"), SimpleNamespace(slug="x", name=HOSTILE)],
    }
    data = {"q": HOSTILE, "district": "2", "category": "x", "day": ["1", "7"], "access": ["wheelchair"], "free": "on"}
    assert _rendered(programme_forms.CatalogueFilterForm, FastRenderer(), data=data, **filters) == _rendered(
        programme_forms.CatalogueFilterForm, DjangoTemplates(), data=data, **filters
    )


def test_the_project_uses_it_and_falls_back_on_templates_it_does_not_know(settings):
    assert isinstance(get_default_renderer(), FastRenderer)
    renderer = FastRenderer()
    # A template not written in Python (textarea) and a select whose options use a custom template.
    assert "django/forms/widgets/textarea.html" not in renderer._writers

    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    field = forms.ChoiceField(choices=[("a", "A")], widget=OwnOption)
    assert field.widget.render("x", "a", renderer=renderer) == field.widget.render("x", "a", renderer=DjangoTemplates())


def test_a_changed_stock_template_is_left_to_the_templates(monkeypatch):
    monkeypatch.setattr(forms_renderer, "_SELECT_OPTION", "<option>{{ widget.label }}</option>\n")
    renderer = FastRenderer()
    assert "django/forms/widgets/select_option.html" not in renderer._writers
    assert "django/forms/widgets/select.html" not in renderer._writers
    assert "django/forms/widgets/text.html" in renderer._writers
