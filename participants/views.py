"""The resident's own pages: profile and dependants, consents and the privacy notice, "My
data", erasure, enrolling (plain forms and htmx), "My learning", notifications and the
personal calendar feed.

Views parse, call one service or selector and choose a template. Every object is looked up
through a selector scoped by the signed-in account, so another resident's enrolment,
dependant or consent is a 404. Enrolment actions answer a plain POST with a redirect back
(POST-redirect-GET, with a message) and an htmx POST with the enrol partial of the course,
result included; a refusal is shown, never a 500."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from participants import feeds, queries, selectors, services
from participants.errors import EnrolmentRefused, ParticipantError, Reason
from participants.forms import (
    DependantForm,
    EnrolForm,
    EraseForm,
    ProfileForm,
    SelfProfileForm,
    SensitiveDataForm,
    add_service_errors,
)
from participants.models import Consent, Enrolment, PrivacyNotice

S = Enrolment.Status
NOTIFICATIONS_PAGE_SIZE = 20
CONSENT_REASONS = {Reason.PRIVACY_CONSENT_MISSING, Reason.GUARDIAN_CONSENT_MISSING}


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _data(request: HttpRequest):
    """The POST data of a form submission (even an empty one), else None (an unbound form)."""
    return request.POST if request.method == "POST" else None


def _participant_or_404(request: HttpRequest, pk):
    participant = selectors.participant_get_for_user(request.user, pk)
    if participant is None:
        raise Http404(_("No such person in your account."))
    return participant


def _enrolment_or_404(request: HttpRequest, pk) -> Enrolment:
    enrolment = selectors.enrolment_get_for_user(request.user, pk)
    if enrolment is None:
        raise Http404(_("No such enrolment in your account."))
    return enrolment


# --- Profile and dependants -----------------------------------------------------------------


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    people = list(selectors.participant_list_for_user(request.user))
    return render(
        request,
        "participants/profile.html",
        {
            "me": next((p for p in people if p.is_self), None),
            "dependants": [p for p in people if not p.is_self],
            "unread": selectors.notification_unread_count(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """Create or correct the account holder's own profile."""
    me = selectors.participant_self_get(request.user)
    districts = queries.residence_districts()
    if me is None:
        form = SelfProfileForm(_data(request), districts=districts)
    else:
        form = ProfileForm(_data(request), districts=districts, initial=ProfileForm.initial_for(me))
    if request.method == "POST" and form.is_valid():
        try:
            if me is None:
                services.participant_create_self(user=request.user, **form.service_fields())
            else:
                services.participant_update(participant=me, actor=request.user, **form.service_fields())
        except ParticipantError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect(_next_url(request, reverse("participants:profile")))
    return render(request, "participants/profile_form.html", {"form": form, "me": me, "creating": me is None})


@login_required
@require_http_methods(["GET", "POST"])
def profile_step(request: HttpRequest, course_id: int) -> HttpResponse:
    """First enrolment: ask only for what the profile still lacks, then back to the course."""
    course = queries.course_for_enrolment_get(course_id)
    if course is None:
        raise Http404(_("No such course."))
    enrol_url = reverse("participants:enrol", kwargs={"course_id": course.pk})
    missing = queries.profile_missing_fields(request.user)
    if not missing:
        return redirect(enrol_url)
    me = selectors.participant_self_get(request.user)
    form = SelfProfileForm(_data(request), districts=queries.residence_districts(), only=set(missing))
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            if me is None:
                services.participant_create_self(user=request.user, **fields)
            else:
                consent = fields.pop("privacy_consent", None)
                if consent is False:
                    raise ParticipantError({"privacy_consent": [_("Please read and accept the privacy notice.")]})
                if fields:
                    services.participant_update(participant=me, actor=request.user, **fields)
                if consent:
                    services.consent_give(participant=me, purpose=Consent.Purpose.PRIVACY_NOTICE, actor=request.user)
        except ParticipantError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you. You can now choose who to enrol."))
            return redirect(enrol_url)
    return render(request, "participants/profile_step.html", {"form": form, "course": course, "me": me})


@login_required
@require_http_methods(["GET", "POST"])
def dependant_add(request: HttpRequest) -> HttpResponse:
    form = DependantForm(_data(request), districts=queries.residence_districts())
    if request.method == "POST" and form.is_valid():
        try:
            person = services.dependant_create(account=request.user, **form.service_fields())
        except ParticipantError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s has been added.") % {"name": person.full_name})
            return redirect(_next_url(request, reverse("participants:profile")))
    return render(request, "participants/dependant_form.html", {"form": form, "person": None})


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _participant_or_404(request, pk)
    if person.is_self:
        return redirect("participants:profile-edit")
    form = ProfileForm(_data(request), districts=queries.residence_districts(), initial=ProfileForm.initial_for(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update(participant=person, actor=request.user, **form.service_fields())
        except ParticipantError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": person.full_name})
            return redirect("participants:profile")
    return render(request, "participants/dependant_form.html", {"form": form, "person": person})


@login_required
@require_http_methods(["GET", "POST"])
def sensitive_data_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The separate, optional block for disability and access needs."""
    person = _participant_or_404(request, pk)
    consent_active = person.consents.filter(purpose=Consent.Purpose.SENSITIVE_DATA, withdrawn_at__isnull=True).exists()
    initial = {
        "has_disability": {True: "yes", False: "no"}.get(person.has_disability, ""),
        "access_needs": person.access_needs,
    }
    form = SensitiveDataForm(_data(request), consent_active=consent_active, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            queries.participant_sensitive_data_set(
                participant=person,
                actor=request.user,
                consent=bool(data.get("consent")),
                has_disability=data.get("has_disability"),
                access_needs=data.get("access_needs") or "",
            )
        except ParticipantError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("participants:profile")
    return render(
        request,
        "participants/sensitive_form.html",
        {"form": form, "person": person, "consent_active": consent_active},
    )


# --- Privacy notice and consents --------------------------------------------------------------


@require_GET
def privacy_notice(request: HttpRequest, version: int | None = None) -> HttpResponse:
    now = timezone.now()
    current = selectors.privacy_notice_current(now=now) or selectors.privacy_notice_first_ensure()
    if version is None:
        notice = current
    else:
        notice = PrivacyNotice.objects.filter(version=version, published_at__lte=now).first()
        if notice is None:
            raise Http404(_("No such version of the privacy notice."))
    versions = list(PrivacyNotice.objects.filter(published_at__lte=now).order_by("-version"))
    return render(
        request,
        "participants/privacy_notice.html",
        {"notice": notice, "current": current, "versions": versions},
    )


@login_required
@require_GET
def consents(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "participants/consents.html",
        {"overview": queries.consent_overview(request.user), "current_notice": selectors.privacy_notice_current()},
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = queries.consent_get_for_user(request.user, pk)
    if consent is None:
        raise Http404(_("No such consent in your account."))
    withdrawn = services.consent_withdraw(participant=consent.participant, purpose=consent.purpose, actor=request.user)
    if withdrawn is None:
        messages.info(request, _("This consent had already been withdrawn."))
    else:
        messages.success(
            request,
            _("Consent withdrawn: %(purpose)s (%(name)s).")
            % {"purpose": consent.get_purpose_display(), "name": consent.participant.full_name},
        )
    return redirect("participants:consents")


@login_required
@require_POST
def consent_give(request: HttpRequest, pk: int) -> HttpResponse:
    person = _participant_or_404(request, pk)
    purpose = request.POST.get("purpose", "")
    if purpose not in (Consent.Purpose.PRIVACY_NOTICE, Consent.Purpose.GUARDIAN):
        messages.error(request, _("Unknown purpose."))
        return redirect("participants:consents")
    try:
        services.consent_give(participant=person, purpose=purpose, actor=request.user)
    except ParticipantError as exc:
        for errors in getattr(exc, "message_dict", {"": exc.messages}).values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(
            request,
            _("Consent recorded: %(purpose)s (%(name)s).")
            % {"purpose": Consent.Purpose(purpose).label, "name": person.full_name},
        )
    return redirect(_next_url(request, reverse("participants:consents")))


# --- My data and erasure ------------------------------------------------------------------------


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    data = selectors.my_data_export(request.user)
    return render(request, "participants/my_data.html", {"data": data})


@login_required
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    data = selectors.my_data_export(request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_erase(request: HttpRequest) -> HttpResponse:
    form = EraseForm(_data(request))
    if request.method == "POST" and form.is_valid():
        user = request.user
        services.account_erase(user=user)
        logout(request)
        messages.success(request, _("Your account has been erased. Thank you for learning with us."))
        return redirect("home")
    people = list(selectors.participant_list_for_user(request.user))
    active = selectors.enrolment_list_for_user(request.user, active_only=True).count()
    return render(request, "participants/account_erase.html", {"form": form, "people": people, "active": active})


# --- Enrolling -----------------------------------------------------------------------------------


def _enrol_result(
    request: HttpRequest, *, course, text: str, level: str, default_next: str, reason: str = ""
) -> HttpResponse:
    """htmx: the course's enrol partial with the result; otherwise a message and a redirect."""
    next_url = _next_url(request, default_next)
    if request.htmx:
        return render(
            request,
            "participants/_enrol_button.html",
            {
                "course": course,
                "result_text": text,
                "result_level": level,
                "result_reason": reason,
                "next_url": next_url,
                "compact": request.POST.get("compact") == "1",
            },
        )
    getattr(messages, level)(request, text)
    if reason in CONSENT_REASONS:
        return redirect("participants:consents")
    return redirect(next_url)


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    """GET: a small page with the course and the enrol form (also where the profile step
    returns). POST: enrol one of the account's people."""
    if request.method == "GET":
        course = queries.course_for_enrolment_get(course_id)
    else:
        # One read of the course (the columns enrolling reads), the account's people (with
        # their consents) and their active enrolments serves the choice of person, the checks
        # before the lock and the answer's enrol block, whatever the answer.
        course, people, active = selectors.enrol_post_reads(course_id, request.user)
        if course is not None:
            queries.account_enrolments_remember(request, people=people, active=active)
    if course is None:
        raise Http404(_("No such course."))
    enrol_url = reverse("participants:enrol", kwargs={"course_id": course.pk})
    if request.method == "GET":
        return render(request, "participants/enrol.html", {"course": course, "next_url": enrol_url})
    form = EnrolForm(request.POST)
    if not form.is_valid():
        return _enrol_result(
            request, course=course, text=_("Choose who to enrol."), level="error", default_next=enrol_url
        )
    if form.cleaned_data["participant"] == "self-missing":
        step_url = reverse("participants:profile-step", kwargs={"course_id": course.pk})
        return HttpResponseClientRedirect(step_url) if request.htmx else redirect(step_url)
    participant = _person_or_404(people, form.cleaned_data["participant"])
    try:
        enrolment = services.enrolment_create(
            participant=participant,
            course=course,
            actor=request.user,
            reads=services.EnrolmentReads(consents=frozenset(participant.active_consents), active=tuple(active)),
        )
    except EnrolmentRefused as exc:
        return _enrol_result(
            request, course=course, text=exc.message, level="error", default_next=enrol_url, reason=exc.reason
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    if enrolment.status == S.CONFIRMED:
        if participant.is_self:
            text = _("You are enrolled. A confirmation has been sent to you.")
        else:
            text = _("%(name)s is enrolled. A confirmation has been sent to you.") % {"name": participant.full_name}
    elif participant.is_self:
        text = _("The course is full: you are number %(position)s on the waiting list.") % {
            "position": enrolment.waitlist_position
        }
    else:
        text = _("The course is full: %(name)s is number %(position)s on the waiting list.") % {
            "name": participant.full_name,
            "position": enrolment.waitlist_position,
        }
    queries.account_enrolments_remember(request, people=people, active=[*active, enrolment])
    return _enrol_result(request, course=course, text=text, level="success", default_next=enrol_url)


def _person_or_404(people: list, pk):
    """The person `pk` among the account's people (as selectors.participant_get_for_user)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    for person in people:
        if person.pk == pk:
            return person
    raise Http404(_("No such person in your account."))


ACTIONS = {
    "cancel": (services.enrolment_cancel, gettext_lazy("The place has been cancelled.")),
    "leave": (services.waitlist_leave, gettext_lazy("The place on the waiting list has been given up.")),
    "accept": (services.offer_accept, gettext_lazy("Offer accepted: the place is confirmed.")),
    "decline": (services.offer_decline, gettext_lazy("Offer declined: the place goes to the next person.")),
}


def _enrolment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    enrolment = _enrolment_or_404(request, pk)
    service, success = ACTIONS[action]
    default_next = reverse("participants:learning")
    try:
        service(enrolment=enrolment, actor=request.user)
    except EnrolmentRefused as exc:
        return _enrol_result(
            request,
            course=enrolment.course,
            text=exc.message,
            level="error",
            default_next=default_next,
            reason=exc.reason,
        )
    return _enrol_result(
        request, course=enrolment.course, text=str(success), level="success", default_next=default_next
    )


@login_required
@require_POST
def enrolment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrolment_action(request, pk, "cancel")


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrolment_action(request, pk, "leave")


@login_required
@require_http_methods(["GET", "POST"])
def offer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """POST accepts (one click). GET (the link in the e-mail) shows the offer with its
    Accept and Decline buttons: a link must not change anything by itself."""
    if request.method == "POST":
        return _enrolment_action(request, pk, "accept")
    return enrolment_detail(request, pk)


@login_required
@require_POST
def offer_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _enrolment_action(request, pk, "decline")


@login_required
@require_GET
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrolment = _enrolment_or_404(request, pk)
    sessions = list(enrolment.course.sessions.select_related("venue").order_by("starts_at", "pk"))
    return render(
        request,
        "participants/enrolment_detail.html",
        {"enrolment": enrolment, "course": enrolment.course, "sessions": sessions},
    )


# --- My learning, notifications, calendar feed --------------------------------------------------


@login_required
@require_GET
def learning(request: HttpRequest) -> HttpResponse:
    data = queries.my_learning_get(request.user)
    queries.account_enrolments_remember(request, people=data.people, active=data.active)
    courses = []
    seen = set()
    for enrolment in data.active:
        if enrolment.course_id not in seen:
            seen.add(enrolment.course_id)
            courses.append(enrolment.course)
    token = feeds.calendar_feed_token_get(request.user)
    feed_url = (
        request.build_absolute_uri(reverse("participants:calendar-feed", kwargs={"token": token.token}))
        if token
        else ""
    )
    return render(
        request,
        "participants/learning.html",
        {"data": data, "courses": courses, "feed_url": feed_url, "next_url": request.path},
    )


@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    feeds.calendar_feed_token_rotate(user=request.user)
    messages.success(request, _("Your calendar address is ready. Any previous address no longer works."))
    return redirect(reverse("participants:learning") + "#calendar")


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    if feeds.calendar_feed_token_revoke(user=request.user):
        messages.success(request, _("Your calendar address has been turned off."))
    return redirect(reverse("participants:learning") + "#calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal feed, for calendar apps (no sign-in; the token is the secret)."""
    user = feeds.calendar_feed_user(token)
    if user is None:
        raise Http404(_("No such calendar."))
    response = HttpResponse(feeds.personal_calendar(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="my-learning.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    page_obj = Paginator(selectors.notification_list_for_user(request.user), NOTIFICATIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "participants/notifications.html", {"page_obj": page_obj})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("id") or None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect(_next_url(request, reverse("participants:notifications")))
