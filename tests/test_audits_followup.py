"""Issue 18, following the audit's recommendations to the end: overdue measures remind their
responsible person once a week and escalate to the nearest managers after a month, the reminders
ride in the day's digest (a link and the kind of reminder, no details), the committee report
lists the recommendations still open, and the demo has Demo kommun's audit with its answers."""

import io
from datetime import datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from varna.audits import demo, reminders
from varna.audits.models import Audit, Measure, MeasureNote, Recommendation
from varna.cases import reminders as case_reminders
from varna.cases.tasks import send_digest_email
from varna.orgs.models import User
from varna.reporting.models import Notification
from varna.stats import committee
from varna.stats import selectors as stats_selectors

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MEASURE_TEXT = "Införa larm i samtalsrummen på Försörjningsstöd 1"


def make_measure(
    cast,
    *,
    unit: str = "DEMO-FSE1",
    responsible: str = "medarbetare",
    overdue_days: int = 3,
    status: str = Measure.Status.PLANNED,
) -> Measure:
    audit = Audit.objects.create(
        unit=cast.unit(unit),
        title=f"Testgranskning {unit}",
        reported_on=TODAY - timedelta(days=400),
        auditors="Testrevisorerna",
    )
    recommendation = Recommendation.objects.create(
        audit=audit, number=1, text="Se till att samtalsrummen är säkra."
    )
    return Measure.objects.create(
        recommendation=recommendation,
        text=MEASURE_TEXT,
        responsible=cast[responsible],
        due_on=TODAY - timedelta(days=overdue_days),
        status=status,
        done_on=TODAY - timedelta(days=1) if status == Measure.Status.DONE else None,
    )


def notices(measure: Measure, kind: str | None = None):
    found = Notification.objects.filter(
        audit_measure=measure, topic=Notification.Topic.AUDIT_MEASURE
    )
    return found.filter(kind=kind) if kind else found


def sv(text: str) -> str:
    with translation.override("sv"):
        return translation.gettext(text)


def demo_audit() -> Audit:
    return Audit.objects.get(title=demo.TITLE)


# Reminders and escalation -------------------------------------------------------------------


def test_an_overdue_measure_reminds_its_responsible_once_a_week_not_daily(cast):
    measure = make_measure(cast)

    made = reminders.remind(TODAY)
    [notice] = notices(measure)
    assert made[cast["medarbetare"].pk] == [notice.pk]
    assert (notice.recipient, notice.kind, notice.in_digest) == (
        cast["medarbetare"],
        Notification.Kind.REMINDER,
        True,
    )
    reminders.remind(TODAY)  # the worker ran the day's tasks twice
    for later in (1, 3, 6):
        reminders.remind(TODAY + timedelta(days=later))
    assert notices(measure).count() == 1

    reminders.remind(TODAY + timedelta(days=7))
    assert notices(measure, Notification.Kind.REMINDER).count() == 2


def test_a_measure_not_yet_due_or_done_reminds_nobody(cast):
    due_today = make_measure(cast, overdue_days=0)
    done = make_measure(cast, unit="DEMO-FSE", overdue_days=60, status=Measure.Status.DONE)

    made = reminders.remind(TODAY)

    assert not notices(due_today).exists() and not notices(done).exists()
    assert all(
        Notification.objects.get(pk=pk).audit_measure_id not in {due_today.pk, done.pk}
        for ids in made.values()
        for pk in ids
    )


def test_after_thirty_days_it_escalates_to_the_nearest_manager_once_a_week(cast):
    at_thirty = make_measure(cast, overdue_days=30)
    past_thirty = make_measure(cast, unit="DEMO-FSE", overdue_days=31, responsible="medarbetare")

    reminders.remind(TODAY)

    assert not notices(at_thirty, Notification.Kind.ESCALATION).exists()
    # The nearest managers of the audited unit (Försörjningsenheten): its avdelningschef.
    [escalation] = notices(past_thirty, Notification.Kind.ESCALATION)
    assert escalation.recipient == cast["avdelningschef"]
    assert escalation.in_digest
    reminders.remind(TODAY + timedelta(days=2))
    assert notices(past_thirty, Notification.Kind.ESCALATION).count() == 1
    reminders.remind(TODAY + timedelta(days=7))
    assert notices(past_thirty, Notification.Kind.ESCALATION).count() == 2


def test_a_responsible_manager_escalates_to_the_managers_above_them(cast):
    measure = make_measure(cast, unit="DEMO-FSE1", responsible="enhetschef", overdue_days=40)

    assert reminders.escalation_to(measure) == [cast["avdelningschef"]]
    reminders.remind(TODAY)
    assert {n.recipient.username: n.kind for n in notices(measure)} == {
        "enhetschef": Notification.Kind.REMINDER,
        "avdelningschef": Notification.Kind.ESCALATION,
    }


def test_a_committees_audit_escalates_to_the_head_of_its_administration(cast):
    # A nämnd and the kommun have no line managers: the förvaltningschef answers to the nämnd.
    measure = make_measure(cast, unit="DEMO-ALN", responsible="enhetschef", overdue_days=40)
    assert reminders.escalation_to(measure) == [cast["forvaltningschef"]]
    # ... and is never their own escalation: with no manager above, the administrators who
    # keep the audit are told.
    own = make_measure(cast, unit="DEMO-ALN", responsible="forvaltningschef", overdue_days=40)
    assert reminders.escalation_to(own) == [cast["admin"]]


def test_a_manager_told_of_an_overdue_measure_may_open_it_but_not_change_it(cast):
    measure = make_measure(cast, unit="DEMO-FSE1", responsible="enhetschef", overdue_days=40)
    url = reverse("audits:measure", args=[measure.pk])
    # Before they are told, the avdelningschef (no audit role) cannot open it.
    assert cast.client("avdelningschef").get(url).status_code == 404

    reminders.remind(TODAY)

    client = cast.client("avdelningschef")
    assert client.get(url).status_code == 200
    assert client.post(url, {"text": "Klart", "status": "done"}).status_code == 404
    measure.refresh_from_db()
    assert measure.status != Measure.Status.DONE


def test_the_reminder_worker_sends_them_in_the_days_digest(cast):
    now = timezone.make_aware(datetime.combine(TODAY, time(settings.VARNA_DIGEST_HOUR, 5)))

    case_reminders.tick(now)
    case_reminders.tick(now + timedelta(hours=1))  # not the day's first run: nothing new

    # The demo's overdue measure: its enhetschef is reminded, the förvaltningschef escalated.
    overdue = Measure.objects.exclude(status=Measure.Status.DONE).get(
        recommendation__audit=demo_audit(), due_on__lt=TODAY
    )
    assert {(n.recipient.username, n.kind) for n in notices(overdue)} == {
        ("enhetschef", Notification.Kind.REMINDER),
        ("forvaltningschef", Notification.Kind.ESCALATION),
    }
    sent = {
        row.args_kwargs["args"][0]: row.args_kwargs["args"][1]
        for row in DBTaskResult.objects.filter(task_path=send_digest_email.module_path)
    }
    for notice in notices(overdue):
        assert notice.pk in sent[notice.recipient_id]


def test_the_digest_email_holds_a_link_and_the_kind_of_reminder_only(cast):
    measure = make_measure(cast, responsible="enhetschef", overdue_days=40)
    reminders.remind(TODAY)
    manager = cast["avdelningschef"]
    escalation = notices(measure, Notification.Kind.ESCALATION).get()
    manager.email = manager.email or "avdelningschef@example.se"
    manager.save(update_fields=["email"])

    send_digest_email.call(manager.pk, [escalation.pk])

    [message] = [m for m in mail.outbox if m.to == [manager.email]]
    assert reverse("audits:measure", args=[measure.pk]) in message.body
    assert sv("A measure answering an audit is overdue") in message.body
    assert sv("passed on to you as a manager of the audited part") in message.body
    assert MEASURE_TEXT not in message.body and "samtalsrummen" not in message.body


def test_the_inbox_links_the_reminder_to_the_measure(cast):
    measure = make_measure(cast, responsible="enhetschef", overdue_days=5)
    reminders.remind(TODAY)

    page = cast.client("enhetschef").get(reverse("reporting:notifications"))

    assert page.status_code == 200
    body = page.content.decode()
    assert f'href="{reverse("audits:measure", args=[measure.pk])}"' in body
    assert MEASURE_TEXT in body


# The committee report ------------------------------------------------------------------------


def board_for(user: User, query: str):
    chosen, _form, problems = stats_selectors.parse(user, QueryDict(query), TODAY)
    assert not problems
    return stats_selectors.dashboard(user, chosen)


def test_the_committee_report_lists_the_open_recommendations_with_their_measures(cast):
    user = cast["namnd"]
    board = board_for(user, "period=year")

    [audit] = committee.open_recommendations(user, board, TODAY)

    assert (audit.title, audit.unit) == (demo.TITLE, "Arbetslivsnämnden")
    # Recommendations 1, 2 and 4 still have a measure not done; 3 and 5 are done.
    assert [r.number for r in audit.recommendations] == [1, 2, 4]
    measures = [m for r in audit.recommendations for m in r.measures]
    assert len(measures) == 3
    [late] = [m for m in measures if m.overdue]
    assert late.responsible == cast["enhetschef"].get_full_name()
    assert late.due_on < TODAY
    with translation.override("sv"):
        assert {m.status for m in measures} == {
            str(Measure.Status.STARTED.label),
            str(Measure.Status.PLANNED.label),
        }
    assert all(r.decision.startswith("ALN § 112/") for r in audit.recommendations)


def test_the_report_takes_audits_of_units_above_and_below_but_not_beside(cast):
    user = cast["analytiker"]
    # The committee's audit concerns Försörjningsstöd 1, below it ...
    below = committee.open_recommendations(
        user, board_for(user, "period=year&unit=DEMO-FSE1"), TODAY
    )
    assert [audit.title for audit in below] == [demo.TITLE]
    # ... and the whole municipality, above it; not the IFO, beside it.
    assert committee.open_recommendations(user, board_for(user, "period=year&unit=DEMO"), TODAY)
    beside = board_for(user, "period=year&unit=DEMO-IFO")
    assert committee.open_recommendations(user, beside, TODAY) == []


def test_the_report_leaves_out_audits_the_reader_may_not_read(cast):
    user = cast["sakerhet"]  # follows up the statistics but reads no audits
    board = board_for(user, "period=year")
    assert committee.open_recommendations(user, board, TODAY) == []


def test_a_recommendation_with_every_measure_done_is_not_listed(cast):
    user = cast["namnd"]
    Measure.objects.filter(recommendation__audit=demo_audit()).update(
        status=Measure.Status.DONE, done_on=TODAY
    )
    assert committee.open_recommendations(user, board_for(user, "period=year"), TODAY) == []


def test_the_committee_report_pdf_has_the_open_recommendations(cast):
    user = cast["namnd"]
    board = board_for(user, "period=year")

    pdf = committee.render_pdf(user, board, [], TODAY)

    text = " ".join(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split()
    )
    assert " ".join(sv("Open audit recommendations").split()[:2]) in text
    assert "Gå igenom enhetens riskbedömning" in text
    assert cast["enhetschef"].get_full_name() in text
    assert sv("overdue") in text


# The demo ------------------------------------------------------------------------------------


def test_the_demo_has_the_committees_audit_with_answers_and_one_overdue_measure(cast):
    audit = demo_audit()
    assert audit.unit == cast.unit("DEMO-ALN")
    assert audit.auditors == demo.AUDITORS
    assert audit.reported_on == TODAY - relativedelta(months=14)
    recommendations = list(audit.recommendations.all())
    assert 4 <= len(recommendations) <= 5
    for recommendation in recommendations:
        assert recommendation.answer and recommendation.decision
        assert recommendation.answered_on == TODAY - relativedelta(months=11)
    assert "fjärdedel" in recommendations[0].text
    measures = Measure.objects.filter(recommendation__audit=audit)
    [overdue] = [m for m in measures if m.is_open and m.due_on < TODAY]
    assert (TODAY - overdue.due_on).days > reminders.ESCALATE_AFTER_DAYS
    assert measures.filter(status=Measure.Status.STARTED, due_on__gte=TODAY).exists()
    done = measures.filter(status=Measure.Status.DONE)
    assert done.count() >= 4
    for measure in done:
        assert measure.done_on is not None and measure.done_on < TODAY
        last = measure.notes.last()
        assert last is not None and last.status == Measure.Status.DONE
        assert last.link.startswith("https://intranat.demo.example/")
    assert {m.responsible.username for m in measures} >= {
        "forvaltningschef",
        "enhetschef",
        "chef.hr",
    }
    assert MeasureNote.objects.filter(measure__in=measures, at__date__gte=TODAY).count() == 0


def test_loading_the_demo_twice_changes_nothing(cast):
    count = Measure.objects.count()
    assert demo.load() is False
    assert Measure.objects.count() == count
    assert Audit.objects.filter(title=demo.TITLE).count() == 1
