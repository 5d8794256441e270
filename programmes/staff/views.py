"""Workspace views: parse (forms), check (permissions), call one service or selector, render.
Every view starts with staff_required and reaches objects only through the provider-scoped
querysets of permissions.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learningcity.city.models import City
from learningcity.city.selectors import city_current
from learningcity.city.services import CityDataError
from learningcity.dates import format_year
from programmes.models import Programme, Venue
from programmes.services import ProgrammeError, provider_needs_review
from programmes.staff import forms, selectors
from programmes.staff import permissions as perm
from programmes.staff import services as staff_services
from programmes.staff.permissions import MANAGER, staff_required

GET_POST = ["GET", "POST", "HEAD"]


def _errors_to_form(form, exc: ProgrammeError) -> None:
    """A service's error onto the form: on its field when the form has it, else form-wide."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _ctx(request, provider, **extra):
    return {"provider": provider, "can_manage": perm.can_manage(request), **extra}


# --- Home and provider --------------------------------------------------------------------


@staff_required
@require_http_methods(GET_POST[::2])
def home(request: HttpRequest) -> HttpResponse:
    ids = None if request.is_city_admin else list(request.staff_roles)
    providers = selectors.workspace_providers(provider_ids=ids)
    pending = selectors.review_queue().count() if request.is_city_admin else None
    return render(
        request, "staff/home.html", {"providers": providers, "roles": request.staff_roles, "pending_reviews": pending}
    )


@staff_required
@require_http_methods(GET_POST[::2])
def provider_home(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    programmes = list(selectors.provider_programmes(provider=provider))
    # Review outcomes are shown here (staff have no inbox): programmes waiting for a city
    # administrator, and those sent back with the reason.
    pending = [p for p in programmes if p.is_pending_review]
    returned = [p for p in programmes if p.status == Programme.Status.DRAFT and p.review_note]
    ctx = _ctx(request, provider, programmes=programmes, pending=pending, returned=returned)
    return render(request, "staff/provider_home.html", ctx)


# --- Programmes ---------------------------------------------------------------------------


def _programme_form(request, data=None, files=None, initial=None):
    return forms.ProgrammeForm(data, files, initial=initial, instance=Programme())


@staff_required
@require_http_methods(GET_POST)
def programme_create(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    form = _programme_form(request)
    if request.method == "POST":
        form = _programme_form(request, request.POST, request.FILES)
        if form.is_valid():
            try:
                programme = staff_services.staff_programme_create(
                    actor=request.user,
                    provider=provider,
                    categories=form.cleaned_data["categories"],
                    image=form.cleaned_data["image"],
                    **form.service_fields(),
                )
            except ProgrammeError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The programme was saved as a draft."))
                return redirect("staff:programme-edit", provider.slug, programme.pk)
    return render(request, "staff/programme_form.html", _ctx(request, provider, form=form, programme=None))


@staff_required
@require_http_methods(GET_POST)
def programme_edit(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    programme = perm.get_or_404(
        perm.programmes_of(provider).select_related("provider", "next_course__venue__district"), pk=pk
    )
    initial = model_to_dict(programme, fields=forms.ProgrammeForm.Meta.fields)
    form = _programme_form(request, initial=initial)
    if request.method == "POST":
        form = _programme_form(request, request.POST, request.FILES, initial=initial)
        if form.is_valid():
            try:
                staff_services.staff_programme_update(
                    actor=request.user,
                    programme=programme,
                    categories=form.cleaned_data["categories"],
                    image=form.cleaned_data["image"],
                    **form.service_fields(),
                )
            except ProgrammeError as exc:
                programme.refresh_from_db()
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Your changes were saved."))
                return redirect("staff:programme-edit", provider.slug, programme.pk)
    courses = selectors.programme_courses(programme=programme)
    needs_review = not request.is_city_admin and provider_needs_review(provider=provider)
    return render(
        request,
        "staff/programme_form.html",
        _ctx(
            request,
            provider,
            form=form,
            programme=programme,
            courses=courses,
            needs_review=needs_review,
        ),
    )


@staff_required
@require_POST
def programme_preview(request: HttpRequest, provider_slug: str) -> HttpResponse:
    """The catalogue's own card (programmes/_programme_card.html) from the form's current,
    unsaved input (htmx). Editing a saved programme (?programme=<id>, one of this provider's)
    keeps its next course, so staff see exactly what residents will see."""
    provider = perm.provider_for_staff(request, provider_slug)
    form = _programme_form(request, request.POST)
    form.is_valid()  # only to get cleaned values; errors are shown on save
    data = form.cleaned_data
    preview = Programme(provider=provider)
    raw_id = request.GET.get("programme", "")
    if raw_id.isdigit() and len(raw_id) < 12:
        saved = (
            perm.programmes_of(provider)
            .select_related("next_course__venue__district")
            .only("pk", "slug", "next_start", "next_course")
            .filter(pk=int(raw_id))
            .first()
        )
        if saved is not None:
            preview.next_course, preview.next_start = saved.next_course, saved.next_start
    preview.title_th = data.get("title_th") or request.POST.get("title_th", "")[:200].strip()
    preview.title_en = data.get("title_en") or ""
    preview.summary_th = data.get("summary_th") or ""
    preview.summary_en = data.get("summary_en") or ""
    preview.age_min = data.get("age_min") or 0
    preview.age_max = data.get("age_max")
    preview.fee = data.get("fee") or 0
    return render(request, "staff/_programme_preview.html", {"programme": preview})


@staff_required
@require_POST
def programme_status(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    programme = perm.get_or_404(perm.programmes_of(provider), pk=pk)
    action = request.POST.get("action", "")
    if action not in staff_services.STATUS_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("staff:programme-edit", provider.slug, programme.pk)
    try:
        staff_services.staff_programme_set_status(actor=request.user, programme=programme, action=action)
    except ProgrammeError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if programme.is_pending_review:
            messages.success(
                request,
                _(
                    "Submitted for review: a city administrator approves your first publication. "
                    "The programme appears in the catalogue once approved."
                ),
            )
        else:
            messages.success(request, _("The status is now: %(status)s.") % {"status": programme.get_status_display()})
    return redirect("staff:programme-edit", provider.slug, programme.pk)


# --- Courses and sessions -----------------------------------------------------------------


@staff_required
@require_http_methods(GET_POST)
def course_create(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug)
    programme = perm.get_or_404(perm.programmes_of(provider), pk=pk)
    venues = perm.venues_usable_by(provider)
    form = forms.CourseForm(venues=venues)
    if request.method == "POST":
        form = forms.CourseForm(request.POST, venues=venues)
        if form.is_valid():
            try:
                course = staff_services.staff_course_create(
                    actor=request.user, programme=programme, **form.cleaned_data
                )
            except ProgrammeError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The course was scheduled. Now add its sessions."))
                return redirect("staff:course-detail", provider.slug, course.pk)
    return render(request, "staff/course_form.html", _ctx(request, provider, form=form, programme=programme))


def _course(request, provider_slug, pk):
    provider = perm.provider_for_staff(request, provider_slug)
    course = perm.get_or_404(perm.courses_of(provider).select_related("programme", "venue"), pk=pk)
    return provider, course


@staff_required
@require_http_methods(GET_POST[::2])
def course_detail(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    sessions = selectors.course_sessions_with_clashes(course=course)
    session_form = forms.SessionForm(venues=perm.venues_usable_by(provider))
    return render(
        request,
        "staff/course_detail.html",
        _ctx(
            request,
            provider,
            course=course,
            sessions=sessions,
            session_form=session_form,
            weekly_form=forms.WeeklyPatternForm(initial={"date_from": course.starts_on, "date_to": course.ends_on}),
            duplicate_form=forms.DuplicateCourseForm(initial={"weeks": 12}),
        ),
    )


@staff_required
@require_http_methods(GET_POST)
def course_edit(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    """Dates, venue, windows, rules and notes of a scheduled course (capacity: its own page)."""
    provider, course = _course(request, provider_slug, pk)
    venues = perm.venues_usable_by(provider)
    initial = forms.CourseEditForm.initial_for(course)
    form = forms.CourseEditForm(request.POST or None, venues=venues, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.staff_course_update(actor=request.user, course=course, **form.cleaned_data)
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved. People enrolled are told about new dates or venue."))
            return redirect("staff:course-detail", provider.slug, course.pk)
    return render(request, "staff/course_edit.html", _ctx(request, provider, form=form, course=course))


@staff_required
@require_http_methods(GET_POST)
def session_create(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    venues = perm.venues_usable_by(provider)
    form = forms.SessionForm(request.POST or None, venues=venues)
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.interval()
        try:
            staff_services.staff_session_create(
                actor=request.user,
                course=course,
                starts_at=starts_at,
                ends_at=ends_at,
                venue=form.cleaned_data["venue"],
            )
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            venue_id = form.cleaned_data["venue"].pk if form.cleaned_data["venue"] else course.venue_id
            clashes = selectors.session_clashes(venue_id=venue_id, intervals=[(starts_at, ends_at)])
            if clashes:
                messages.warning(request, _("Saved, but another session uses the same venue at that time."))
            else:
                messages.success(request, _("The session was added."))
            return redirect("staff:course-detail", provider.slug, course.pk)
    return render(request, "staff/session_form.html", _ctx(request, provider, course=course, form=form, session=None))


@staff_required
@require_http_methods(GET_POST)
def sessions_weekly(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    """A weekly pattern: "preview" shows the dates (and clashes), "save" creates them."""
    from programmes.services import local_interval, weekly_dates

    provider, course = _course(request, provider_slug, pk)
    form = forms.WeeklyPatternForm(
        request.POST or None, initial={"date_from": course.starts_on, "date_to": course.ends_on}
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        pattern = form.pattern()
        if request.POST.get("save"):
            try:
                created = staff_services.staff_sessions_generate(actor=request.user, course=course, **pattern)
            except ProgrammeError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("%(count)s sessions were added.") % {"count": len(created)})
                return redirect("staff:course-detail", provider.slug, course.pk)
        days = weekly_dates(
            weekdays=pattern["weekdays"],
            date_from=pattern["date_from"],
            date_to=pattern["date_to"],
            skip=pattern["skip"],
        )
        intervals = [local_interval(day, pattern["start_time"], pattern["end_time"]) for day in days]
        clashes = selectors.session_clashes(venue_id=course.venue_id, intervals=intervals)
        preview = [
            {
                "starts_at": start,
                "ends_at": end,
                "clashes": clashes.get((start, end), []),
                "outside": not course.starts_on <= start.date() <= course.ends_on,
            }
            for start, end in intervals
        ]
    return render(
        request, "staff/sessions_weekly.html", _ctx(request, provider, course=course, form=form, preview=preview)
    )


@staff_required
@require_http_methods(GET_POST)
def course_duplicate(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, course = _course(request, provider_slug, pk)
    form = forms.DuplicateCourseForm(request.POST or None, initial={"weeks": 12})
    if request.method == "POST" and form.is_valid():
        try:
            copy = staff_services.staff_course_duplicate(
                actor=request.user, course=course, weeks=form.cleaned_data["weeks"]
            )
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The next run was scheduled."))
            return redirect("staff:course-detail", provider.slug, copy.pk)
    return render(request, "staff/course_duplicate.html", _ctx(request, provider, course=course, form=form))


def _session(request, provider_slug, pk):
    provider = perm.provider_for_staff(request, provider_slug)
    session = perm.get_or_404(perm.sessions_of(provider).select_related("course__programme", "venue"), pk=pk)
    return provider, session


@staff_required
@require_http_methods(GET_POST)
def session_edit(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, session = _session(request, provider_slug, pk)
    venues = perm.venues_usable_by(provider)
    form = forms.SessionForm(request.POST or None, venues=venues, initial=forms.SessionForm.initial_for(session))
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.interval()
        try:
            staff_services.staff_session_update(
                actor=request.user,
                session=session,
                starts_at=starts_at,
                ends_at=ends_at,
                venue=form.cleaned_data["venue"],
            )
        except ProgrammeError as exc:
            session.refresh_from_db()
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The session was moved."))
            return redirect("staff:course-detail", provider.slug, session.course_id)
    return render(
        request,
        "staff/session_form.html",
        _ctx(request, provider, course=session.course, form=form, session=session),
    )


@staff_required
@require_POST
def session_cancel(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider, session = _session(request, provider_slug, pk)
    staff_services.staff_session_cancel(actor=request.user, session=session)
    messages.success(request, _("The session was cancelled."))
    return redirect("staff:course-detail", provider.slug, session.course_id)


# --- Manager: staff memberships and venues ------------------------------------------------


@staff_required
@require_http_methods(GET_POST)
def members(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    form = forms.MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.staff_membership_add(
                actor=request.user, provider=provider, user=form.user, role=form.cleaned_data["role"]
            )
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The staff member was added."))
            return redirect("staff:members", provider.slug)
    memberships = perm.memberships_of(provider).select_related("user").order_by("user__email")
    return render(request, "staff/members.html", _ctx(request, provider, form=form, memberships=memberships))


@staff_required
@require_POST
def member_edit(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    membership = perm.get_or_404(perm.memberships_of(provider).select_related("user"), pk=pk)
    try:
        if request.POST.get("remove"):
            staff_services.staff_membership_remove(actor=request.user, membership=membership)
            messages.success(request, _("The staff member was removed."))
        else:
            form = forms.MemberRoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose editor or manager."))
            else:
                staff_services.staff_membership_change_role(
                    actor=request.user, membership=membership, role=form.cleaned_data["role"]
                )
                messages.success(request, _("The role was changed."))
    except ProgrammeError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("staff:members", provider.slug)


@staff_required
@require_http_methods(GET_POST[::2])
def venues(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    venue_list = perm.venues_of(provider).select_related("district").order_by("name_th", "pk")
    return render(request, "staff/venues.html", _ctx(request, provider, venues=venue_list))


@staff_required
@require_http_methods(GET_POST)
def venue_create(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    form = forms.VenueForm(request.POST or None, city=provider.city)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("is_active", None)
        try:
            staff_services.staff_venue_create(actor=request.user, provider=provider, **data)
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The venue was saved."))
            return redirect("staff:venues", provider.slug)
    return render(request, "staff/venue_form.html", _ctx(request, provider, form=form, venue=None))


@staff_required
@require_http_methods(GET_POST)
def venue_edit(request: HttpRequest, provider_slug: str, pk: int) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    venue = perm.get_or_404(perm.venues_of(provider), pk=pk)
    initial = model_to_dict(venue, fields=list(forms.VenueForm.base_fields))
    form = forms.VenueForm(request.POST or None, city=provider.city, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.staff_venue_update(actor=request.user, venue=venue, **form.cleaned_data)
        except ProgrammeError as exc:
            venue.refresh_from_db()
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The venue was saved."))
            return redirect("staff:venues", provider.slug)
    return render(request, "staff/venue_form.html", _ctx(request, provider, form=form, venue=venue))


# --- City administrators: first-publication review and the city setting ----------------


@staff_required
@require_http_methods(GET_POST[::2])
def review_queue(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    programmes = list(selectors.review_queue())
    return render(
        request,
        "staff/review_queue.html",
        {"programmes": programmes, "form": forms.ReviewDecisionForm(), "can_manage": True},
    )


@staff_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    perm.city_admin_only(request)
    programme = perm.get_or_404(Programme.objects.select_related("provider"), pk=pk)
    form = forms.ReviewDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:review-queue")
    try:
        if form.cleaned_data["decision"] == form.APPROVE:
            staff_services.staff_review_approve(actor=request.user, programme=programme)
            messages.success(request, _("“%(title)s” is published.") % {"title": programme.title})
        else:
            staff_services.staff_review_return(
                actor=request.user, programme=programme, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("“%(title)s” was sent back to the provider.") % {"title": programme.title})
    except ProgrammeError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("staff:review-queue")


@staff_required
@require_http_methods(GET_POST)
def city_settings(request: HttpRequest) -> HttpResponse:
    """The city's workspace settings (first-publication review), one form per city."""
    perm.city_admin_only(request)
    cities = list(City.objects.order_by("name_th", "pk"))
    if request.method == "POST":
        raw = request.POST.get("city", "")
        city = next((c for c in cities if str(c.pk) == raw), None)
        if city is None:
            messages.error(request, _("Choose a city."))
            return redirect("staff:city-settings")
        form = forms.CityReviewSettingForm(request.POST, prefix=f"city{city.pk}")
        if form.is_valid():
            staff_services.staff_city_review_setting_set(
                actor=request.user, city=city, required=form.cleaned_data["require_first_publication_review"]
            )
            messages.success(request, _("The settings were saved."))
            return redirect("staff:city-settings")
    rows = [
        (
            city,
            forms.CityReviewSettingForm(
                prefix=f"city{city.pk}",
                initial={"require_first_publication_review": city.require_first_publication_review},
            ),
        )
        for city in cities
    ]
    return render(request, "staff/city_settings.html", {"rows": rows, "can_manage": True})


# --- Audit log ----------------------------------------------------------------------------


def _audit_page(request, provider):
    form = forms.AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"content_type_id": data["object_type"], "date_from": data["date_from"], "date_to": data["date_to"]}
        entries = selectors.audit_entries(provider_id=provider.pk if provider else None, **filters)
        if data["user"]:
            entries = entries.filter(actor__email__iexact=data["user"])
    else:
        entries = selectors.audit_entries(provider_id=provider.pk if provider else None)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/audit.html",
        {"provider": provider, "form": form, "page_obj": page, "can_manage": True},
    )


@staff_required
@require_http_methods(GET_POST[::2])
def audit(request: HttpRequest, provider_slug: str) -> HttpResponse:
    provider = perm.provider_for_staff(request, provider_slug, min_role=MANAGER)
    return _audit_page(request, provider)


@staff_required
@require_http_methods(GET_POST[::2])
def audit_all(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    return _audit_page(request, None)


# --- City administration: providers, shared venues, districts, population ---------------


def _admin_cities(request) -> tuple[City | None, list[City]]:
    """The city a city-administration page is about (?city=<id>, else the deployment's city)
    and every city, for the switcher."""
    cities = list(City.objects.order_by("name_th", "pk"))
    raw = request.GET.get("city", "")
    city = next((c for c in cities if str(c.pk) == raw), None)
    if city is None:
        current = city_current()
        city = next((c for c in cities if current is not None and c.pk == current.pk), None)
        city = city or (cities[0] if cities else None)
    return city, cities


def _admin_ctx(**extra):
    return {"can_manage": True, "city_admin_section": True, **extra}


@staff_required
@require_http_methods(GET_POST[::2])
def city_providers(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    providers = list(selectors.admin_provider_list())
    return render(request, "staff/city_providers.html", _admin_ctx(providers=providers))


@staff_required
@require_http_methods(GET_POST)
def city_provider_create(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    city, _cities = _admin_cities(request)
    kwargs = {"cities": City.objects.order_by("name_th", "pk"), "creating": True}
    form = forms.ProviderForm(initial={"city": city, "is_active": True}, **kwargs)
    if request.method == "POST":
        form = forms.ProviderForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                provider = staff_services.staff_provider_create(
                    actor=request.user,
                    city=form.cleaned_data["city"],
                    manager=form.manager,
                    **form.service_fields(),
                )
            except ProgrammeError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("The provider was added."))
                return redirect("staff:city-provider-edit", provider.pk)
    return render(request, "staff/city_provider_form.html", _admin_ctx(form=form, provider_obj=None))


@staff_required
@require_http_methods(GET_POST)
def city_provider_edit(request: HttpRequest, pk: int) -> HttpResponse:
    perm.city_admin_only(request)
    provider = perm.get_or_404(selectors.admin_provider_list(), pk=pk)
    initial = model_to_dict(provider, fields=list(forms.ProviderForm.base_fields))
    form = forms.ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.staff_provider_update(actor=request.user, provider=provider, **form.service_fields())
        except ProgrammeError as exc:
            provider.refresh_from_db()
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect("staff:city-provider-edit", provider.pk)
    return render(request, "staff/city_provider_form.html", _admin_ctx(form=form, provider_obj=provider))


@staff_required
@require_http_methods(GET_POST[::2])
def city_venues(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    venues = list(selectors.shared_venue_list())
    return render(request, "staff/city_venues.html", _admin_ctx(venues=venues))


@staff_required
@require_http_methods(GET_POST)
def city_venue_create(request: HttpRequest) -> HttpResponse:
    perm.city_admin_only(request)
    city, cities = _admin_cities(request)
    if city is None:
        messages.error(request, _("Load a city and its districts first."))
        return redirect("staff:city-districts")
    form = forms.VenueForm(request.POST or None, city=city)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("is_active", None)
        try:
            staff_services.staff_shared_venue_create(actor=request.user, city=city, **data)
        except ProgrammeError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The venue was saved."))
            return redirect("staff:city-venues")
    ctx = _admin_ctx(form=form, venue=None, shared_city=city, cities=cities)
    return render(request, "staff/venue_form.html", ctx)


@staff_required
@require_http_methods(GET_POST)
def city_venue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    perm.city_admin_only(request)
    venue = perm.get_or_404(Venue.objects.filter(provider__isnull=True).select_related("city"), pk=pk)
    initial = model_to_dict(venue, fields=list(forms.VenueForm.base_fields))
    form = forms.VenueForm(request.POST or None, city=venue.city, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            staff_services.staff_venue_update(actor=request.user, venue=venue, **form.cleaned_data)
        except ProgrammeError as exc:
            venue.refresh_from_db()
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("The venue was saved."))
            return redirect("staff:city-venues")
    return render(request, "staff/venue_form.html", _admin_ctx(form=form, venue=venue, shared_city=venue.city))


@staff_required
@require_http_methods(GET_POST)
def city_districts(request: HttpRequest) -> HttpResponse:
    """The city's districts (population of the latest year, boundary present), loading them
    from geothai, and uploading a boundary GeoJSON file. A refused file: 400, nothing changed."""
    perm.city_admin_only(request)
    city, cities = _admin_cities(request)
    boundary_form, load_form = forms.BoundaryUploadForm(), forms.DistrictLoadForm()
    refused, status = None, 200
    if request.method == "POST" and city is not None:
        action = request.POST.get("action")
        if action == "load":
            load_form = forms.DistrictLoadForm(request.POST)
            if load_form.is_valid():
                try:
                    result = staff_services.staff_districts_load(
                        actor=request.user, city=city, **load_form.cleaned_data
                    )
                except CityDataError as exc:
                    load_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request,
                        _("Districts loaded: %(created)s new, %(updated)s updated, %(unchanged)s unchanged.")
                        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                    )
                    return redirect(f"{request.path}?city={city.pk}")
            status = 400
        else:
            boundary_form = forms.BoundaryUploadForm(request.POST, request.FILES)
            if boundary_form.is_valid():
                upload = boundary_form.cleaned_data["file"]
                try:
                    result = staff_services.staff_boundaries_attach(
                        actor=request.user, city=city, file=upload, filename=upload.name
                    )
                except CityDataError as exc:
                    refused = exc
                else:
                    messages.success(
                        request,
                        _("Boundaries attached to %(attached)s districts; %(ignored)s features of other areas ignored.")
                        % {"attached": result.attached, "ignored": result.ignored},
                    )
                    return redirect(f"{request.path}?city={city.pk}")
            status = 400
    districts = list(selectors.admin_district_rows(city=city, year=city.population_year)) if city else []
    ctx = _admin_ctx(
        city=city,
        cities=cities,
        districts=districts,
        boundary_form=boundary_form,
        load_form=load_form,
        refused=refused,
        with_boundary=sum(1 for d in districts if d.has_boundary),
        demo_figures=any(d.demo_figures for d in districts),
    )
    return render(request, "staff/city_districts.html", ctx, status=status)


MAX_SHOWN_IMPORT_ERRORS = 200


@staff_required
@require_http_methods(GET_POST)
def city_population(request: HttpRequest) -> HttpResponse:
    """Population figures by year, and the CSV import: a file with any bad line changes
    nothing, and every error is listed with its line (400)."""
    perm.city_admin_only(request)
    city, cities = _admin_cities(request)
    form = forms.PopulationUploadForm()
    result, status = None, 200
    if request.method == "POST" and city is not None:
        form = forms.PopulationUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = staff_services.staff_population_import(
                actor=request.user,
                city=city,
                file=upload,
                replace=form.cleaned_data["replace"],
                year=form.cleaned_data["year"],
                filename=upload.name,
            )
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Imported %(rows)s figures for %(years)s: %(created)s new, %(updated)s updated, "
                        "%(deleted)s deleted."
                    )
                    % {
                        "rows": result.rows,
                        "years": ", ".join(format_year(y) for y in result.years),
                        "created": result.created,
                        "updated": result.updated,
                        "deleted": result.deleted,
                    },
                )
                return redirect(f"{request.path}?city={city.pk}")
        status = 400
    years = list(selectors.admin_population_years(city=city)) if city else []
    ctx = _admin_ctx(
        city=city,
        cities=cities,
        form=form,
        years=years,
        result=result,
        shown_errors=result.errors[:MAX_SHOWN_IMPORT_ERRORS] if result else [],
        more_errors=max(0, result.error_count - MAX_SHOWN_IMPORT_ERRORS) if result else 0,
    )
    return render(request, "staff/city_population.html", ctx, status=status)
