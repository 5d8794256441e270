"""Django admin for participants (city administrators). Enrolments, consents, attendance and
notifications are read-only here: places and counters change only through the services, which
lock the course and keep Course.seats_taken / waitlist_count true."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from participants.models import Attendance, Consent, Enrolment, Notification, Participant, PrivacyNotice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(admin.ModelAdmin):
    list_display = ["version", "published_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # consents point at the version people saw

    def get_readonly_fields(self, request, obj=None):
        # A published version is never rewritten: publish a new version instead.
        return ["version", "text_th", "text_en", "published_at"] if obj else []


class ConsentInline(admin.TabularInline):
    model = Consent
    fk_name = "participant"
    extra = 0
    can_delete = False
    fields = ["purpose", "notice", "on_behalf", "subject_agreed", "method", "given_at", "withdrawn_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account", "is_self", "birth_date", "sex", "district", "anonymised_at"]
    list_filter = ["is_self", "sex", "created_by_staff", ("anonymised_at", admin.EmptyFieldListFilter), "district"]
    search_fields = ["given_name", "family_name", "account__email"]
    list_select_related = ["account", "district"]
    raw_id_fields = ["account", "registered_by"]
    readonly_fields = ["anonymised_at", "created_at", "updated_at"]
    inlines = [ConsentInline]

    def has_delete_permission(self, request, obj=None):
        return False  # erasure goes through services.account_erase (anonymises, releases places)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["participant", "purpose", "notice", "given_at", "withdrawn_at", "method"]
    list_filter = ["purpose", "method", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["participant", "notice"]


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["participant", "course", "status", "waitlist_position", "created_at", "offer_expires_at"]
    list_filter = ["status", "cancelled_reason"]
    search_fields = ["participant__given_name", "participant__family_name", "course__programme__title_th"]
    list_select_related = ["participant", "course__programme"]
    date_hierarchy = "created_at"


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["participant", "session", "status", "marked_at"]
    list_filter = ["status"]
    list_select_related = ["participant", "session__course__programme"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "recipient", "kind", "created_at", "email_sent_at", "email_attempts", "read_at"]
    list_filter = ["kind", "language", ("email_sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "subject"]
    list_select_related = ["recipient"]
    actions = ["resend_email"]

    @admin.action(description=_("Send the e-mail again when it was not sent"))
    def resend_email(self, request, queryset):
        from participants.notifications import dispatch_on_commit

        pending = queryset.filter(email_wanted=True, email_sent_at__isnull=True)
        if pending.update(email_claimed_at=None, email_attempts=0):
            dispatch_on_commit()
