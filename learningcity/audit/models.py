"""One row per change made by staff. Rows are only ever inserted (services.audit_record)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who (actor) did what (action) to which object (content type + id, and its name at the
    time), with the changed fields as {"field": [before, after]}. `provider_id` scopes the
    entry to a provider's workspace (a plain integer: this app imports no domain app)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("user"),
    )

    class Action(models.TextChoices):
        """The codes services record, with labels for the audit pages. The stored value stays
        the code; a code not listed here still saves and shows as itself."""

        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        DELETE = "delete", _("Deleted")
        PUBLISH = "publish", _("Published")
        ARCHIVE = "archive", _("Archived")
        DRAFT = "draft", _("Back to draft")
        CANCEL = "cancel", _("Cancelled")
        DUPLICATE = "duplicate", _("Duplicated")
        GENERATE_SESSIONS = "generate_sessions", _("Weekly sessions added")
        SUBMIT_REVIEW = "submit_review", _("Submitted for review")
        REVIEW_APPROVE = "review.approve", _("Approved and published")
        REVIEW_RETURN = "review.return", _("Sent back for changes")
        CITY_SETTINGS = "city.settings", _("City settings changed")
        ATTENDANCE_MARK = "attendance.mark", _("Attendance marked")
        ATTENDANCE_MARK_ALL_PRESENT = "attendance.mark_all_present", _("All marked present")
        COMPLETION_OVERRIDE = "completion.override", _("Completion overridden")
        COURSE_CANCEL = "course.cancel", _("Course cancelled")
        COURSE_CAPACITY_CHANGE = "course.capacity_change", _("Capacity changed")
        ENROLMENT_CREATE_ASSISTED = "enrolment.create_assisted", _("Enrolled at the desk")
        PARTICIPANT_REGISTER_ASSISTED = "participant.register_assisted", _("Registered at the desk")
        COMPLETION_VIEW = "completion.view", _("Viewed completion")
        PARTICIPANT_SEARCH = "participant.search", _("Searched for people")
        PARTICIPANT_VIEW = "participant.view", _("Viewed a person")
        REGISTER_VIEW = "register.view", _("Viewed the attendance register")
        ROSTER_EXPORT = "roster.export", _("Exported the roster")
        ROSTER_VIEW = "roster.view", _("Viewed the roster")
        SLIP_VIEW = "slip.view", _("Viewed an enrolment slip")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("object type")
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    provider_id = models.BigIntegerField(_("provider"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["provider_id", "-created_at"], name="audit_provider_created"),
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"
