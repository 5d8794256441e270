"""Who takes part: participants (an account holder and their dependants), consents under the
PDPA, enrolments, attendance and the in-site notifications (which double as the e-mail outbox).

Invariants live in the database:
- one `is_self` participant per account; anonymised rows have no account;
- one active (confirmed, offered or waitlisted) enrolment per participant and course, so a
  double click or a retry cannot enrol twice, while re-enrolling after a cancellation works;
- waiting-list positions unique per course (a DEFERRABLE constraint: renumbering the line
  in one UPDATE passes through transient duplicates) and present exactly on waitlisted rows;
- Course.seats_taken <= capacity (programmes), kept equal to confirmed + offered rows by the
  services in participants.services, which lock the course row.

Erasure (services.account_erase) keeps enrolment rows, tied to an anonymised participant
(no names, phone, access needs or account; birth date reduced to the year, stored as 1 July;
sex and district kept), so counts by course, district, sex and age band stay correct."""

from django.conf import settings
from django.db import models
from django.db.models import Deferrable, F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from learningcity.city.models import District
from programmes.models import Course
from programmes.models import Session as CourseSession

LANGUAGE_CHOICES = [("th", "ไทย"), ("en", "English")]


class PrivacyNotice(models.Model):
    """A version of the privacy notice. Consents point at the version the person saw."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text_th = models.TextField(_("text (Thai)"))
    text_en = models.TextField(_("text (English)"))
    published_at = models.DateTimeField(_("published"))

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def text(self) -> str:
        """The notice in the active language, with the city's contact address filled in."""
        text = self.text_en if (get_language() or "th").startswith("en") and self.text_en else self.text_th
        return text.replace("{contact_email}", settings.CONTACT_EMAIL)


class Participant(models.Model):
    """A person who learns: the account holder's own profile (`is_self`) or a dependant
    managed by the account. Assisted participants (registered by staff) may have no account."""

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        PREFER_NOT = "prefer_not", _("Prefer not to say")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("account"),
    )
    is_self = models.BooleanField(_("the account holder"), default=False)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"))
    birth_date_is_year_only = models.BooleanField(
        _("only the birth year is known"),
        default=False,
        help_text=_("The birth date is then stored as 1 July of that year."),
    )
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, default=Sex.PREFER_NOT)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("district of residence"),
    )
    lives_outside_city = models.BooleanField(_("lives outside the city"), default=False)
    preferred_language = models.CharField(_("preferred language"), max_length=5, choices=LANGUAGE_CHOICES, default="th")
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Sensitive data (PDPA s.26): saved only while a sensitive-data consent is active.
    has_disability = models.BooleanField(_("has a disability"), null=True, blank=True)
    access_needs = models.TextField(_("access needs"), blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by (staff)"),
    )
    created_by_staff = models.BooleanField(_("registered by staff"), default=False)
    # A minor registered at the desk (no account): the parent or guardian who was present,
    # consented on the minor's behalf and is the contact on rosters.
    guardian_name = models.CharField(_("parent or guardian"), max_length=200, blank=True)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["-is_self", "given_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(is_self=True), name="participant_one_self_per_account"
            ),
            models.CheckConstraint(
                condition=Q(anonymised_at__isnull=True) | Q(account__isnull=True, is_self=False),
                name="participant_anonymised_has_no_account",
            ),
            models.CheckConstraint(
                condition=~Q(district__isnull=False, lives_outside_city=True),
                name="participant_district_or_outside",
            ),
            models.CheckConstraint(
                condition=Q(is_self=False) | Q(account__isnull=False), name="participant_self_has_account"
            ),
        ]
        indexes = [models.Index(fields=["district", "birth_date"], name="participant_district_birth")]

    def __str__(self) -> str:
        if self.anonymised_at:
            return f"#{self.pk} ({_('anonymised')})"
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def is_dependant(self) -> bool:
        return not self.is_self and self.account_id is not None

    def age_on(self, day) -> int:
        """Full years on `day`."""
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Consent(models.Model):
    """A consent record, kept apart from the profile form: who gave it, for whom, for what,
    under which notice version, when, and when withdrawn. Withdrawing stamps `withdrawn_at`;
    the record stays as evidence. At most one active consent per participant and purpose."""

    class Purpose(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", _("Processing under the privacy notice")
        SENSITIVE_DATA = "sensitive_data", _("Disability and access needs (sensitive data)")
        GUARDIAN = "guardian", _("Consent of a parent or guardian for a minor")

    class Method(models.TextChoices):
        ONLINE = "online", _("Online")
        STAFF_ASSISTED = "staff_assisted", _("With staff assistance")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consents", verbose_name=_("participant")
    )
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    notice = models.ForeignKey(
        PrivacyNotice, on_delete=models.PROTECT, related_name="consents", verbose_name=_("privacy notice")
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("given by"),
    )
    on_behalf = models.BooleanField(
        _("given by the guardian on the person's behalf"),
        default=False,
        help_text=_("For a dependant: the account holder recorded it for them."),
    )
    subject_agreed = models.BooleanField(
        _("the person agreed themselves"),
        default=True,
        help_text=_("False for a child under 10, for whom only the guardian consents."),
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, default=Method.ONLINE)
    given_at = models.DateTimeField(_("given"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_purpose",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.purpose} v{self.notice.version}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


ACTIVE_ENROLMENT_STATUSES = ("confirmed", "offered", "waitlisted")
SEAT_HOLDING_STATUSES = ("confirmed", "offered")


class Enrolment(models.Model):
    """A participant's place in a course. `confirmed` and `offered` hold a seat (counted in
    Course.seats_taken); `waitlisted` has a position (counted in Course.waitlist_count)."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFERED = "offered", _("Place offered")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")
        NO_SHOW = "no_show", _("Did not attend")

    class CancelledReason(models.TextChoices):
        BY_RESIDENT = "by_resident", _("Cancelled by the participant")
        WAITLIST_LEFT = "waitlist_left", _("Left the waiting list")
        OFFER_DECLINED = "offer_declined", _("Offer declined")
        OFFER_EXPIRED = "offer_expired", _("Offer expired")
        COURSE_CANCELLED = "course_cancelled", _("Course cancelled")
        BY_STAFF = "by_staff", _("Cancelled by staff")
        ACCOUNT_ERASED = "account_erased", _("Account erased")

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("participant")
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("course"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    waitlist_position = models.PositiveIntegerField(_("waiting-list position"), null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    created_at = models.DateTimeField(_("requested"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_reason = models.CharField(
        _("reason for cancellation"), max_length=24, choices=CancelledReason.choices, blank=True
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["course", "status", "waitlist_position", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "course"],
                condition=Q(status__in=ACTIVE_ENROLMENT_STATUSES),
                name="enrolment_one_active_per_course",
                violation_error_message=_("This person is already enrolled or waiting for this course."),
            ),
            # NULLs are distinct, so only waitlisted rows take part.
            models.UniqueConstraint(
                fields=["course", "waitlist_position"],
                name="enrolment_unique_waitlist_position",
                deferrable=Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(status="waitlisted", waitlist_position__gte=1)
                | (~Q(status="waitlisted") & Q(waitlist_position__isnull=True)),
                name="enrolment_position_iff_waitlisted",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="enrolment_offer_has_deadline",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status"], name="enrolment_course_status"),
            models.Index(fields=["participant", "status"], name="enrolment_participant_status"),
            models.Index(fields=["offer_expires_at"], condition=Q(status="offered"), name="enrolment_open_offers"),
            # The dashboards' incremental refresh reads the enrolments requested or confirmed on given days.
            models.Index(fields=["created_at"], name="enrolment_created_at"),
            models.Index(
                fields=["confirmed_at"], condition=Q(confirmed_at__isnull=False), name="enrolment_confirmed_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.course_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ENROLMENT_STATUSES


class Attendance(models.Model):
    """A participant present or absent at one session (taken by provider staff)."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        ABSENT = "absent", _("Absent")

    # No index of their own: the unique (session, participant) and the (participant, status)
    # index lead with them.
    session = models.ForeignKey(
        CourseSession, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("session"), db_index=False
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="attendances", verbose_name=_("participant"), db_index=False
    )
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("enrolment"),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session", "participant"]
        constraints = [
            models.UniqueConstraint(fields=["session", "participant"], name="attendance_one_per_session_participant")
        ]
        # A person's marks with their sessions, from the index alone (the dashboards recompute
        # the learner months of the people whose marks were removed; a resident's history).
        indexes = [models.Index(fields=["participant", "status"], include=["session"], name="attendance_person_marks")]

    def __str__(self) -> str:
        return f"{self.participant} {self.session_id}: {self.status}"


class Notification(models.Model):
    """A message to an account, shown in the site and (the outbox) sent by e-mail.

    Created in the same transaction as the change it reports; the e-mail task claims the row
    with a conditional UPDATE (`email_claimed_at`) and stamps `email_sent_at`, so a task run
    twice sends once. Rows still unsent after a minute are dispatched again by a beat job,
    which covers a broker that was down at commit time."""

    class Kind(models.TextChoices):
        ENROLMENT_CONFIRMED = "enrolment_confirmed", _("Place confirmed")
        WAITLISTED = "waitlisted", _("On the waiting list")
        OFFER_MADE = "offer_made", _("A place is offered")
        OFFER_EXPIRED = "offer_expired", _("Offer expired")
        ENROLMENT_CANCELLED = "enrolment_cancelled", _("Enrolment cancelled")
        COURSE_CANCELLED = "course_cancelled", _("Course cancelled")
        COURSE_CHANGED = "course_changed", _("Course changed")
        COURSE_REMINDER = "course_reminder", _("Reminder")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("participant"),
    )
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("enrolment"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES, default="th")
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("message"))
    url = models.CharField(_("link"), max_length=300, blank=True)
    attach_calendar = models.BooleanField(_("calendar attached"), default=False)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_wanted = models.BooleanField(_("send by e-mail"), default=True)
    email_claimed_at = models.DateTimeField(_("e-mail being sent since"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_wanted=True, email_sent_at__isnull=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class CalendarFeedToken(models.Model):
    """The secret part of /calendar/<token>.ics, which calendar apps poll without signing in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed_token",
        verbose_name=_("account"),
    )
    token = models.CharField(_("secret token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("calendar feed address")
        verbose_name_plural = _("calendar feed addresses")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token[:6]}…"


class CompletionOverride(models.Model):
    """Staff's decision on one enrolment's completion that replaces the attendance rule
    (Course.completion_min_attendance_pct), with the reason (participants.services
    completion_override_set). Without a row, the rule decides."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="completion_override", verbose_name=_("enrolment")
    )
    completed = models.BooleanField(_("completed"))
    reason = models.CharField(_("reason"), max_length=300)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"))

    class Meta:
        verbose_name = _("completion override")
        verbose_name_plural = _("completion overrides")
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="completion_override_has_reason")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.completed}"
