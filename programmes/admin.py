"""Django admin for the catalogue (city administrators; provider staff use the staff pages).

The admin writes rows directly, so after each save it does what the services do: rich text
is sanitised, the search document and the schedule summary are refreshed."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from programmes import services
from programmes.models import Category, Course, Programme, Provider, ProviderMembership, Session, Venue


class ProviderMembershipInline(admin.TabularInline):
    model = ProviderMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name_th", "name_en", "kind", "city", "is_active"]
    list_filter = ["kind", "is_active", "city"]
    search_fields = ["name_th", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [ProviderMembershipInline]

    def save_model(self, request, obj, form, change):
        obj.description_th = services.sanitize_html(obj.description_th)
        obj.description_en = services.sanitize_html(obj.description_en)
        super().save_model(request, obj, form, change)
        if change and {"name_th", "name_en"} & set(form.changed_data):
            services.programme_search_refresh(programme_ids=obj.programmes.values_list("pk", flat=True))


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "provider__name_th", "provider__name_en"]
    autocomplete_fields = ["user", "provider"]
    list_select_related = ["user", "provider"]


@admin.register(Venue)
class VenueAdmin(admin.ModelAdmin):
    list_display = ["name_th", "name_en", "district", "provider", "is_active"]
    list_filter = ["is_active", "city", "district"]
    search_fields = ["name_th", "name_en", "address_th", "address_en"]
    autocomplete_fields = ["provider"]
    list_select_related = ["district", "provider"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name_th", "name_en", "building_blocks", "sdg_targets", "position"]
    search_fields = ["name_th", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"name_th", "name_en"} & set(form.changed_data):
            services.programme_search_refresh(programme_ids=obj.programmes.values_list("pk", flat=True))


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0
    fields = ["starts_on", "ends_on", "venue", "capacity", "seats_taken", "status"]
    readonly_fields = ["seats_taken"]
    autocomplete_fields = ["venue"]
    show_change_link = True


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title_th", "title_en", "provider", "status", "format", "fee", "next_start"]
    list_filter = ["status", "format", "language", "categories", "provider__kind"]
    search_fields = ["title_th", "title_en", "slug", "provider__name_th", "provider__name_en"]
    autocomplete_fields = ["provider"]
    filter_horizontal = ["categories"]
    list_select_related = ["provider"]
    readonly_fields = ["published_at", "next_course", "next_start", "created_at", "updated_at"]
    inlines = [CourseInline]

    def save_model(self, request, obj, form, change):
        obj.description_th = services.sanitize_html(obj.description_th)
        obj.description_en = services.sanitize_html(obj.description_en)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.programme_search_refresh(programme_ids=[form.instance.pk])
        services.programme_refresh_schedule(programme_id=form.instance.pk)


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0
    fields = ["starts_at", "ends_at", "venue", "online_url", "is_cancelled"]
    autocomplete_fields = ["venue"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts_on", "ends_on", "venue", "capacity", "seats_taken", "places_left", "status"]
    list_filter = ["status", "confirmation_mode", "programme__provider"]
    search_fields = ["programme__title_th", "programme__title_en"]
    autocomplete_fields = ["programme", "venue"]
    list_select_related = ["programme", "venue"]
    readonly_fields = ["seats_taken", "waitlist_count", "created_at", "updated_at"]
    date_hierarchy = "starts_on"
    inlines = [SessionInline]

    @admin.display(description=_("places left"))
    def places_left(self, obj):
        return obj.places_left

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.programme_refresh_schedule(programme_id=form.instance.programme_id)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts_at", "ends_at", "venue", "is_cancelled"]
    list_filter = ["is_cancelled"]
    search_fields = ["course__programme__title_th", "course__programme__title_en"]
    autocomplete_fields = ["course", "venue"]
    list_select_related = ["course__programme", "venue"]
    date_hierarchy = "starts_at"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.programme_refresh_schedule(programme_id=obj.course.programme_id)
