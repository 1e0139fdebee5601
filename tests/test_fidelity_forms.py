"""The rules every form follows (varna.core.forms): text that shows something, checkboxes and
buttons that count only what the page sends, choices of people that refuse impossible keys,
dates within sensible bounds, and blank choices that are translated and never pre-ticked.
Issue 15, points 17, 19, 20, 23 and 24: each rule on a small form, then through real pages."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django import forms
from django.core.exceptions import BadRequest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from varna.cases.models import Case, Measure, SafetyRequest
from varna.core import forms as base
from varna.core.validators import has_visible_character
from varna.orgs.models import User
from varna.records.models import RetentionPeriod
from varna.reporting.models import Draft, Report
from varna.reporting.services import submit_report

OUT_OF_RANGE = "99999999999999999999"
EARLIEST = "2000-01-01"
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c\u200d",  # zero-width non-joiner and joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte-order mark
    "\u00ad",  # soft hyphen
    "\u200e\u202e",  # direction marks (other format characters)
    "\u00a0\u200b\u3000",  # no-break and ideographic spaces with a zero-width one
    "\u3164",  # Hangul filler, drawn blank
    "\t\u200b\n",
]


def sv(message: str) -> str:
    with translation.override("sv"):
        return translation.gettext(message)


class Sample(base.Form):
    comment = forms.CharField(max_length=200)
    note = forms.CharField(max_length=200, required=False)
    agreed = forms.BooleanField(required=False)
    day = forms.DateField(required=False)
    sent_at = forms.DateTimeField(required=False)
    person = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    people = forms.ModelMultipleChoiceField(queryset=User.objects.all(), required=False)
    answer = forms.ChoiceField(
        choices=[("", "Nothing"), ("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect
    )
    maybe = forms.ChoiceField(
        choices=[("", "Nothing"), ("yes", "Yes")], widget=forms.RadioSelect, required=False
    )


def sample(**data) -> Sample:
    return Sample({"comment": "Synlig text", "answer": "yes", **data})


# Point 20: text must show something ------------------------------------------------------


@pytest.mark.parametrize("typed", INVISIBLE)
def test_required_text_of_only_invisible_characters_is_refused_next_to_the_field(typed):
    form = sample(comment=typed)
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["comment"]] == ["invisible_only"]
    assert sv(
        "Write something that can be seen: the text holds only spaces or invisible characters."
    ) in str(form.errors["comment"])


@pytest.mark.parametrize("typed", INVISIBLE)
def test_optional_text_of_only_invisible_characters_is_kept_as_empty(typed):
    form = sample(note=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["note"] == ""


@pytest.mark.parametrize("typed", ["a\u200b", "Å", "\u200b42", "😀", "\u00e9", "-"])
def test_text_that_shows_something_is_kept_as_typed(typed):
    form = sample(comment=typed, note=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["comment"] == typed and form.cleaned_data["note"] == typed


def test_visible_means_more_than_marks_and_spaces():
    assert not has_visible_character("\u0301\ufe0f \u2800")
    assert has_visible_character("e\u0301")


# Point 23: a checkbox counts only what a browser sends -----------------------------------


@pytest.mark.parametrize(
    ("posted", "ticked"),
    [("on", True), ("true", True), ("True", True), ("1", True), ("", False), ("false", False)],
)
def test_a_checkbox_takes_what_a_browser_sends(posted, ticked):
    form = sample(agreed=posted)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["agreed"] is ticked


def test_an_unticked_checkbox_sends_nothing_and_is_no():
    form = sample()
    assert form.is_valid() and form.cleaned_data["agreed"] is False


@pytest.mark.parametrize("posted", ["yes", "banana", "0", "off", "on " * 3, "\x00"])
def test_any_other_checkbox_value_is_refused(posted):
    form = sample(agreed=posted)
    assert not form.is_valid()
    assert [error.code for error in form.errors.as_data()["agreed"]] == ["invalid_checkbox"]


def test_an_unknown_button_is_a_bad_request():
    request = RequestFactory().post("/", {"action": "sendd"})
    with pytest.raises(BadRequest):
        base.posted_action(request, "send", "save")
    with pytest.raises(BadRequest):
        base.posted_action(RequestFactory().post("/", {}), "send", "save")
    assert base.posted_action(RequestFactory().post("/", {"action": "save"}), "send", "save")


# Point 17: a choice of people refuses impossible keys ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key",
    [OUT_OF_RANGE, str(2**63), "9" * 5000, "-1", "abc", "1.5", "1e3", "٣", " 1", "0x1", ""],
)
def test_a_choice_of_people_refuses_an_impossible_key_with_a_message(cast, key):
    real = str(cast["medarbetare"].pk)
    many = sample(people=[real, key] if key else [real, " "])
    assert not many.is_valid()
    assert "people" in many.errors
    if key:
        one = sample(person=key)
        assert not one.is_valid()
        assert "person" in one.errors


@pytest.mark.django_db
def test_a_choice_of_people_takes_people_that_exist(cast):
    ids = [str(cast["medarbetare"].pk), str(cast["forste"].pk)]
    form = sample(person=ids[0], people=ids)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["person"] == cast["medarbetare"]
    assert set(form.cleaned_data["people"]) == {cast["medarbetare"], cast["forste"]}


@pytest.mark.django_db
def test_a_key_at_the_top_of_the_range_is_simply_unknown(cast):
    form = sample(people=[str(2**63 - 1)])
    assert not form.is_valid() and "people" in form.errors


# Point 19: dates within bounds -----------------------------------------------------------


def latest_default() -> date:
    return date(timezone.localdate().year + base.YEARS_AHEAD, 12, 31)


@pytest.mark.parametrize("typed", ["1899-12-31", "1999-12-31", "2999-01-01"])
def test_an_implausible_date_is_refused_and_the_message_says_the_bounds(typed):
    form = sample(day=typed)
    assert not form.is_valid()
    with translation.override("sv"):
        expected = translation.gettext("Enter a date between %(earliest)s and %(latest)s.") % {
            "earliest": "2000-01-01",
            "latest": latest_default().isoformat(),
        }
    assert expected in str(form.errors["day"])


def test_a_date_and_time_is_bounded_too():
    assert not sample(sent_at="1899-01-01T10:00").is_valid()
    assert sample(sent_at=f"{timezone.localdate().isoformat()}T10:00").is_valid()


def test_a_plausible_date_passes_and_the_date_input_says_the_same_bounds():
    form = sample(day="2000-01-01")
    assert form.is_valid(), form.errors
    assert sample(day=latest_default().isoformat()).is_valid()
    html = str(form["day"])
    assert 'min="2000-01-01"' in html and f'max="{latest_default().isoformat()}"' in html
    assert 'min="2000-01-01T00:00"' in str(form["sent_at"])
    field = forms.DateTimeField()
    base.bound_dates(field, earliest=date(2020, 1, 1), latest=date(2020, 12, 31))
    assert field.widget.attrs == {"min": "2020-01-01T00:00", "max": "2020-12-31T23:59"}


class Bounded(base.Form):
    day = forms.DateField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        base.bound_dates(self.fields["day"], earliest=today - timedelta(days=30), latest=today)


def test_a_form_sets_its_own_bounds_for_a_date():
    today = timezone.localdate()
    assert Bounded({"day": today.isoformat()}).is_valid()
    assert not Bounded({"day": (today + timedelta(days=1)).isoformat()}).is_valid()
    assert not Bounded({"day": (today - timedelta(days=31)).isoformat()}).is_valid()
    assert f'min="{(today - timedelta(days=30)).isoformat()}"' in str(Bounded()["day"])


class Sides(base.Form):
    dates_up_to_today = ("done_on",)
    dates_from_today = ("due_on",)
    done_on = forms.DateField(required=False)
    due_on = forms.DateField(required=False)
    sent_at = forms.DateTimeField(required=False)


def test_a_form_names_the_dates_that_cannot_lie_ahead_or_behind():
    today = timezone.localdate()
    tomorrow, yesterday = today + timedelta(days=1), today - timedelta(days=1)
    assert Sides({"done_on": today, "due_on": today}).is_valid()
    assert Sides({"done_on": yesterday, "due_on": tomorrow}).is_valid()
    late = Sides({"done_on": tomorrow, "due_on": yesterday})
    assert not late.is_valid() and set(late.errors) == {"done_on", "due_on"}
    form = Sides()
    assert f'max="{today.isoformat()}"' in str(form["done_on"])
    assert f'min="{today.isoformat()}"' in str(form["due_on"])
    assert f'min="{EARLIEST}"' in str(form["done_on"])


class OwnCheck(base.Form):
    day = forms.DateField()

    def clean_day(self):
        if self.cleaned_data["day"] > timezone.localdate():
            raise forms.ValidationError("Not in the future.")
        return self.cleaned_data["day"]


def test_a_forms_own_words_about_a_date_come_first():
    form = OwnCheck({"day": "2999-01-01"})
    assert not form.is_valid()
    assert form.errors["day"] == ["Not in the future."]


# Point 24: blank choices -----------------------------------------------------------------


def test_a_radio_list_offers_no_blank_choice_and_nothing_is_ticked_at_first():
    form = Sample()
    for name in ["answer", "maybe"]:
        html = str(form[name])
        assert 'value=""' not in html and "checked" not in html, name
    assert not sample(answer="").is_valid()
    assert sample(maybe="").is_valid()


@pytest.mark.django_db
def test_the_blank_choice_of_a_select_is_in_the_pages_language(cast):
    html = str(Sample()["person"])
    assert sv("– Choose –") in html
    assert "Select an option" not in html


# Through the pages -----------------------------------------------------------------------


def case_for(cast) -> Case:
    report, _created = submit_report(
        reporter=cast["medarbetare"],
        data={
            "main_form": "threat",
            "occurred_on": timezone.localdate(),
            "unit": cast.unit("DEMO-FSE1A"),
            "description": "Hot i receptionen",
        },
        idempotency_key=uuid.uuid4(),
    )
    return Case.objects.select_related("report").get(report=report)


def measure(cast, **typed) -> dict[str, str]:
    return {
        "scope": "unit",
        "kind": "training",
        "what": "Utbildning i bemötande",
        "owner": str(cast["forste"].pk),
        "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        **typed,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("owner", OUT_OF_RANGE),
        ("owner", "Förste"),
        ("what", "\u200b\u200b"),
        ("due_on", "2999-01-01"),
        ("scope", ""),
    ],
)
def test_a_case_measure_with_bad_input_gets_a_message_and_nothing_is_stored(cast, field, typed):
    case = case_for(cast)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/measure/", measure(cast, **{field: typed})
    )
    assert response.status_code == 200
    assert f'id="measure-{field}_error"' in response.content.decode()
    assert not Measure.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_a_case_measure_within_bounds_is_stored(cast):
    case = case_for(cast)
    response = cast.client("forste").post(f"/arenden/{case.code}/steg/measure/", measure(cast))
    assert response.status_code == 302
    assert Measure.objects.filter(case=case, owner=cast["forste"]).exists()


@pytest.mark.django_db
def test_the_case_measure_form_starts_with_nothing_ticked_and_a_translated_blank(cast):
    case = case_for(cast)
    html = cast.client("forste").get(f"/arenden/{case.code}/").content.decode()
    scope = re.findall(r'<input type="radio" name="scope"[^>]*>', html)
    assert scope, "the measure form is on the case page"
    assert not [radio for radio in scope if 'value=""' in radio or "checked" in radio]
    assert sv("– Choose –") in html and "Select an option" not in html
    # A new measure is due from today on: the date input says so, as the check on submit does.
    due = re.search(r'<input type="date" name="due_on"[^>]*>', html).group(0)
    today = timezone.localdate().isoformat()
    assert f'min="{today}"' in due and f'max="{latest_default().isoformat()}"' in due


@pytest.mark.django_db
def test_a_police_report_filed_in_the_future_is_refused_and_the_input_stops_at_today(cast):
    case = case_for(cast)
    client = cast.client("forste")
    html = client.get(f"/arenden/{case.code}/").content.decode()
    filed = re.search(r'<input type="date" name="police_filed_on"[^>]*>', html).group(0)
    assert f'max="{timezone.localdate().isoformat()}"' in filed and f'min="{EARLIEST}"' in filed
    response = client.post(
        f"/arenden/{case.code}/steg/police/",
        {"police_decision": "employer_files", "police_filed_on": "2999-01-01"},
    )
    assert response.status_code == 200
    assert 'id="police-police_filed_on_error"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).police_filed_on is None


@pytest.mark.django_db
def test_a_notice_sent_before_2000_is_refused(cast):
    case = case_for(cast)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/notice/", {"sent_at": "1999-01-01T10:00"}
    )
    assert response.status_code in {200, 302}
    assert Case.objects.get(pk=case.pk).notice_sent_at is None


@pytest.mark.django_db
def test_a_blank_looking_request_from_the_safety_representative_is_refused(cast):
    before = SafetyRequest.objects.count()
    client = cast.client("skyddsombud")
    form = client.get(reverse("cases:request_new")).context["form"]
    unit = form.fields["unit"].queryset.first()
    response = client.post(
        reverse("cases:request_new"), {"unit": str(unit.pk), "demand": "\u200b\u2060\u00ad"}
    )
    assert response.status_code == 200
    assert "demand" in response.context["form"].errors
    assert SafetyRequest.objects.count() == before


@pytest.mark.django_db
def test_a_blank_looking_retention_basis_is_refused(cast):
    url = reverse("records:retention_period", args=["DEMO", "read_log"])
    before = RetentionPeriod.objects.count()
    response = cast.client("admin").post(url, {"months": "48", "basis": "\u200b"})
    assert response.status_code == 200
    assert "basis" in response.context["form"].errors
    assert RetentionPeriod.objects.count() == before


@pytest.mark.django_db
def test_a_blank_looking_reclassification_reason_is_refused(cast):
    case = case_for(cast)
    response = cast.client("forste").post(
        f"/arenden/{case.code}/steg/reclassify/",
        {
            "version": str(case.report.version),
            "main_form": "threat",
            "kia_type": "tillbud",
            "reason": "\ufeff\u200b",
        },
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors or 'id="reclassify-reason_error"' in (
        response.content.decode()
    )
    assert Report.objects.get(pk=case.report.pk).version == case.report.version


def report(cast, **typed) -> dict[str, str]:
    return {
        "idempotency_key": str(uuid.uuid4()),
        "main_form": "threat",
        "occurred_on": timezone.localdate().isoformat(),
        "unit": str(cast.unit("DEMO-FSE1A").pk),
        "description": "En sökande sa att han vet var jag bor.",
        "action": "submit",
        **typed,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["wants_police_report", "route_to_security"])
def test_a_report_with_a_tampered_checkbox_is_refused_next_to_it(cast, field):
    before = Report.objects.count()
    response = cast.client("medarbetare").post("/rapportera/", report(cast, **{field: "ja!"}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert sv("This box can only be ticked or left empty.") in response.content.decode()
    assert Report.objects.count() == before


@pytest.mark.django_db
def test_a_report_with_a_ticked_checkbox_is_sent(cast):
    client = cast.client("medarbetare")
    response = client.post("/rapportera/", report(cast, wants_police_report="on"))
    assert response.status_code == 302
    assert Report.objects.latest("submitted_at").wants_police_report


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["send", "SUBMIT", "submit ", ""])
def test_a_report_with_an_unknown_button_is_a_bad_request_and_nothing_is_stored(cast, action):
    before = Report.objects.count()
    data = report(cast, action=action, description="Hemligt som inte ska sparas")
    if not action:
        del data["action"]
    response = cast.client("medarbetare").post("/rapportera/", data)
    assert response.status_code == 400
    # The page says so in the usual frame, signed in (the menu is there).
    assert f'action="{reverse("accounts:logout")}"' in response.content.decode()
    assert Report.objects.count() == before
    assert not Draft.objects.filter(user=cast["medarbetare"], data__icontains="Hemligt").exists()


@pytest.mark.django_db
def test_a_report_with_an_impossible_person_is_refused_not_a_server_error(cast):
    response = cast.client("medarbetare").post("/rapportera/", report(cast, affected=OUT_OF_RANGE))
    assert response.status_code == 200
    assert "affected" in response.context["form"].errors


@pytest.mark.django_db
def test_an_event_date_before_2000_is_refused_on_the_report_form(cast):
    before = Report.objects.count()
    response = cast.client("medarbetare").post(
        "/rapportera/", report(cast, occurred_on="1899-06-01")
    )
    assert response.status_code == 200
    assert "occurred_on" in response.context["form"].errors
    assert Report.objects.count() == before


def test_every_project_form_inherits_the_rules():
    from varna.accounts import forms as accounts_forms
    from varna.cases import forms as case_forms
    from varna.records.views import attachments, extracts, retention
    from varna.reporting import forms as report_forms
    from varna.risk import forms as risk_forms
    from varna.stats import forms as stats_forms
    from varna.yearplan import admin as yearplan_admin
    from varna.yearplan import forms as yearplan_forms

    modules = [
        accounts_forms,
        case_forms,
        attachments,
        extracts,
        retention,
        report_forms,
        risk_forms,
        stats_forms,
        yearplan_admin,
        yearplan_forms,
    ]
    found = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, forms.BaseForm)
        and value.__module__ == module.__name__
    ]
    assert len(found) > 30
    outside = {cls.__name__ for cls in found if not issubclass(cls, base.FieldRules)}
    # The sign-in forms are allauth's and Django's own: a password is taken exactly as typed.
    assert outside == {"LoginForm", "InvitationPasswordForm"}
