from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from learningcity.city.models import City, District, Population


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name_th", "name_en", "slug", "kind", "province_code", "gnlc_member_since", "population_year"]
    list_filter = ["kind"]
    search_fields = ["name_th", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    readonly_fields = ["population_year"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name_th", "name_en", "level", "parent_code", "city", "has_boundary"]
    list_filter = ["city", "level"]
    search_fields = ["code", "name_th", "name_en"]
    list_select_related = ["city"]
    ordering = ["city", "code"]

    @admin.display(boolean=True, description=_("boundary"))
    def has_boundary(self, obj: District) -> bool:
        return obj.boundary is not None


@admin.register(Population)
class PopulationAdmin(admin.ModelAdmin):
    list_display = ["district", "year", "sex", "age_from", "age_to", "count", "source"]
    list_filter = ["year", "sex", "is_demo", "district__city", ("district", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["district__code", "district__name_th", "district__name_en"]
    list_select_related = ["district"]
    autocomplete_fields = ["district"]
    show_full_result_count = False  # a province has hundreds of thousands of cells

    @admin.display(description=_("source"), ordering="is_demo")
    def source(self, obj: Population) -> str:
        return _("DEMO (not official statistics)") if obj.is_demo else _("imported")
