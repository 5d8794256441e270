"""Running a course (mounted at /staff/run/, namespace "staff-run"): parse, check
permissions (programmes.staff.permissions), call one service or selector, render. Every
view of personal data (roster, export, participant, slip) writes an audit entry."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learningcity.city.models import District
from participants import services
from participants.errors import EnrolmentRefused, ParticipantError
from participants.models import Enrolment
from participants.staff import exports, forms, selectors
from programmes.staff import permissions as perm
from programmes.staff.permissions import staff_required

GET = ["GET", "HEAD"]
GET_POST = ["GET", "POST", "HEAD"]


def _ctx(request, provider, **extra):
    return {"provider": provider, "can_manage": perm.can_manage(request), **extra}


def _course(request, provider_slug, pk):
    provider = perm.provider_for_staff(request, provider_slug)
    course = perm.get_or_404(perm.courses_of(provider).select_related("programme__provider", "venue"), pk=pk)
    return provider, course


def _session(request, provider_slug, pk):
    provider = perm.provider_for_staff(request, provider_slug)
    session = perm.get_or_404(perm.sessions_of(provider).select_related("course__programme", "venue"), pk=pk)
    return provider, session


def _errors_to_form(form, exc: ParticipantError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _logged(request, provider, action, obj, note=""):
    services.personal_data_viewed(actor=request.user, action=action, obj=obj, provider_id=provider.pk, note=note)


# --- Overview -------------------------------------------------------------------------------


@staff_required
@require_http_methods(GET)
def overview(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    data = selectors.overview(provider=provider)
    return render(request, "staff/participants/overview.html", _ctx(request, provider, **data))


# --- Roster and exports ---------------------------------------------------------------------


@staff_required
@require_http_methods(GET)
def roster(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    rows = selectors.roster_rows(course=course)
    _logged(request, provider, "roster.view", course)
    sessions = course.sessions.order_by("starts_at")
    return render(
        request, "staff/participants/roster.html", _ctx(request, provider, course=course, rows=rows, sessions=sessions)
    )


@staff_required
@require_http_methods(GET)
def roster_csv(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    rows = selectors.roster_rows(course=course)
    _logged(request, provider, "roster.export", course, note="csv")
    return exports.roster_csv_response(course=course, rows=rows)


@staff_required
@require_http_methods(GET)
def roster_xlsx(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    rows = selectors.roster_rows(course=course)
    _logged(request, provider, "roster.export", course, note="xlsx")
    return exports.roster_xlsx_response(course=course, rows=rows)


# --- Attendance register --------------------------------------------------------------------


def _register_page(request, provider, session, *, form=None, status=200):
    rows = selectors.register_rows(session=session)
    ctx = _ctx(request, provider, session=session, course=session.course, rows=rows, form=form)
    return render(request, "staff/participants/register.html", ctx, status=status)


@staff_required
@require_http_methods(GET_POST)
def register(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    """GET: the register. POST: one tap (participant, status, note), the desired state."""
    provider, session = _session(request, provider_slug, pk)
    if request.method != "POST":
        _logged(request, provider, "register.view", session)
        return _register_page(request, provider, session)
    form = forms.AttendanceForm(request.POST)
    error = None
    participant_id = None
    if form.is_valid():
        participant_id = form.cleaned_data["participant"]
        row = selectors.register_rows(session=session, participant_id=participant_id).first()
        if row is None:
            error = _("This person is not enrolled in this course.")
        else:
            try:
                services.attendance_mark(
                    session=session,
                    participant=row.participant,
                    status=form.cleaned_data["status"],
                    note=form.cleaned_data["note"] if "note" in request.POST else None,
                    actor=request.user,
                )
            except ParticipantError as exc:
                error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        raw = request.POST.get("participant", "")
        participant_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    if request.htmx and participant_id is not None:
        row = selectors.register_rows(session=session, participant_id=participant_id).first()
        if row is not None:
            ctx = _ctx(request, provider, session=session, row=row, row_error=error)
            return render(request, "staff/participants/register.html#row", ctx)
    if error:
        messages.error(request, error)
        return _register_page(request, provider, session, form=form)
    return redirect("staff-run:register", provider.slug, session.pk)


@staff_required
@require_POST
def register_all_present(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, session = _session(request, provider_slug, pk)
    try:
        count = services.attendance_mark_all_present(session=session, actor=request.user)
    except ParticipantError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked %(count)s people present.") % {"count": count})
    return redirect("staff-run:register", provider.slug, session.pk)


# --- Completion -----------------------------------------------------------------------------


@staff_required
@require_http_methods(GET_POST)
def completion(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    form = forms.CompletionOverrideForm()
    status = 200
    if request.method == "POST":
        form = forms.CompletionOverrideForm(request.POST)
        if form.is_valid():
            enrolment = Enrolment.objects.filter(course=course, pk=form.cleaned_data["enrolment"]).first()
            if enrolment is None:
                raise Http404
            try:
                services.completion_override_set(
                    enrolment=enrolment,
                    completed=form.completed(),
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ParticipantError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The completion was saved."))
                return redirect("staff-run:completion", provider.slug, course.pk)
    rows = services.completion_compute(course=course)
    _logged(request, provider, "completion.view", course)
    ctx = _ctx(request, provider, course=course, rows=rows, form=form)
    return render(request, "staff/participants/completion.html", ctx, status=status)


# --- Capacity and cancellation --------------------------------------------------------------


@staff_required
@require_http_methods(GET_POST)
def capacity(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    form = forms.CapacityForm(initial={"capacity": course.capacity})
    if request.method == "POST":
        form = forms.CapacityForm(request.POST)
        if form.is_valid():
            try:
                services.staff_course_capacity_change(
                    course=course, capacity=form.cleaned_data["capacity"], actor=request.user
                )
            except EnrolmentRefused as exc:
                form.add_error("capacity", exc.message)
            else:
                messages.success(request, _("The capacity was changed."))
                return redirect("staff:course-detail", provider.slug, course.pk)
    return render(request, "staff/participants/capacity.html", _ctx(request, provider, course=course, form=form))


@staff_required
@require_http_methods(GET_POST)
def cancel(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    form = forms.CancelCourseForm()
    if request.method == "POST":
        form = forms.CancelCourseForm(request.POST)
        if form.is_valid():
            services.staff_course_cancel(course=course, actor=request.user)
            messages.success(request, _("The course was cancelled and everyone enrolled was told."))
            return redirect("staff:course-detail", provider.slug, course.pk)
    active = course.seats_taken + course.waitlist_count
    ctx = _ctx(request, provider, course=course, form=form, active=active)
    return render(request, "staff/participants/cancel.html", ctx)


# --- Assisted enrolment (the desk) ----------------------------------------------------------


def _districts(provider):
    return District.objects.filter(city_id=provider.city_id).order_by("name_th")


@staff_required
@require_http_methods(GET_POST)
def desk(request: HttpRequest, provider_slug: str) -> HttpResponse:
    """Find a person this provider knows, or register one without e-mail (and enrol them)."""
    provider = perm.provider_for_staff(request, provider_slug)
    courses = list(selectors.enrollable_courses(provider=provider, today=timezone.localdate()))
    districts = list(_districts(provider))
    search = forms.ParticipantSearchForm(request.GET or None)
    results = None
    if search.is_bound and search.is_valid():
        results = list(selectors.participant_search(provider=provider, **search.cleaned_data))
        _logged(request, provider, "participant.search", None, note=f"{len(results)}")
    form = forms.AssistedRegistrationForm(districts=districts, courses=courses)
    if request.method == "POST":
        form = forms.AssistedRegistrationForm(request.POST, districts=districts, courses=courses)
        if form.is_valid():
            try:
                participant = services.participant_register_assisted(
                    actor=request.user, provider=provider, **form.service_fields()
                )
            except ParticipantError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("%(name)s was registered.") % {"name": participant.full_name})
                course_id = form.cleaned_data["course"]
                course = next((c for c in courses if c.pk == course_id), None)
                if course is None:
                    return redirect("staff-run:participant", provider.slug, participant.pk)
                return _enrol(request, provider, participant, course)
    ctx = _ctx(request, provider, search=search, results=results, form=form)
    return render(request, "staff/participants/desk.html", ctx)


def _enrol(request, provider, participant, course) -> HttpResponse:
    try:
        enrolment = services.enrolment_create_assisted(participant=participant, course=course, actor=request.user)
    except EnrolmentRefused as exc:
        messages.error(request, exc.message)
        return redirect("staff-run:participant", provider.slug, participant.pk)
    if enrolment.status == Enrolment.Status.CONFIRMED:
        messages.success(request, _("The place is confirmed."))
    else:
        messages.info(
            request,
            _("The course is full: %(name)s is number %(position)s on the waiting list.")
            % {"name": participant.full_name, "position": enrolment.waitlist_position},
        )
    return redirect("staff-run:slip", provider.slug, enrolment.pk)


@staff_required
@require_http_methods(GET_POST)
def participant(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    person = perm.get_or_404(selectors.provider_participants(provider=provider).select_related("district"), pk=pk)
    courses = list(selectors.enrollable_courses(provider=provider, today=timezone.localdate()))
    form = forms.EnrolForm(courses=courses)
    if request.method == "POST":
        form = forms.EnrolForm(request.POST, courses=courses)
        if form.is_valid():
            course = next(c for c in courses if c.pk == form.cleaned_data["course"])
            return _enrol(request, provider, person, course)
    enrolments = (
        Enrolment.objects.filter(participant=person, course__programme__provider=provider)
        .select_related("course__programme")
        .order_by("-created_at")
    )
    _logged(request, provider, "participant.view", person)
    ctx = _ctx(request, provider, person=person, enrolments=enrolments, form=form)
    return render(request, "staff/participants/participant.html", ctx)


@staff_required
@require_http_methods(GET)
def slip(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    enrolment = perm.get_or_404(
        Enrolment.objects.filter(course__programme__provider=provider).select_related(
            "participant", "course__programme__provider", "course__venue"
        ),
        pk=pk,
    )
    sessions = enrolment.course.sessions.filter(is_cancelled=False).select_related("venue").order_by("starts_at")
    _logged(request, provider, "slip.view", enrolment)
    ctx = _ctx(request, provider, enrolment=enrolment, course=enrolment.course, sessions=sessions)
    return render(request, "staff/participants/slip.html", ctx)
