"""Django admin for the dashboards: the refresh runs and the days waiting for a refresh, read
only (the jobs write them; `manage.py dashboards_rebuild` rebuilds everything)."""

from django.contrib import admin

from learningcity.dashboards.models import ActivityChange, DirtyCourse, DirtyDay, DirtyLearnerMonth, RefreshRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "kind", "days_refreshed", "periods_refreshed", "rows_written", "duration_ms"]
    list_filter = ["kind"]
    date_hierarchy = "started_at"
    ordering = ["-started_at"]


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "marked_at"]
    ordering = ["day"]


@admin.register(DirtyLearnerMonth)
class DirtyLearnerMonthAdmin(ReadOnlyAdmin):
    list_display = ["month", "participant_id", "marked_at"]
    ordering = ["month"]


@admin.register(ActivityChange)
class ActivityChangeAdmin(ReadOnlyAdmin):
    list_display = ["marked_at", "session_id", "day", "course_id", "participant_id", "attendances", "enrolments"]
    ordering = ["marked_at"]


@admin.register(DirtyCourse)
class DirtyCourseAdmin(ReadOnlyAdmin):
    list_display = ["course_id", "marked_at"]
    ordering = ["marked_at"]
