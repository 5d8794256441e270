import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from learningcity.city.models import City, District
from learningcity.city.services import CityDataError, district_boundaries_attach, districts_load_from_geothai


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_districts", *args, stdout=out)
    return out.getvalue()


def district_rows():
    return list(
        District.objects.order_by("code").values_list("id", "code", "name_th", "name_en", "level", "parent_code")
    )


@pytest.mark.django_db
def test_load_districts_gives_the_16_subdistricts_of_mueang_chiang_mai():
    output = run("--city", "chiang-mai", "--province", "50", "--district", "5001")

    city = City.objects.get(slug="chiang-mai")
    assert city.kind == City.Kind.CITY_MUNICIPALITY
    assert (city.name_th, city.name_en, city.province_code) == ("เชียงใหม่", "Chiang Mai", "50")
    districts = District.objects.filter(city=city)
    assert districts.count() == 16
    assert [d.code for d in districts.order_by("code")] == [f"5001{n:02d}" for n in range(1, 17)]
    si_phum = districts.get(code="500101")
    assert (si_phum.name_th, si_phum.name_en) == ("ศรีภูมิ", "Si Phum")
    assert (si_phum.level, si_phum.parent_code) == (District.Level.SUBDISTRICT, "5001")
    assert "16 created" in output


@pytest.mark.django_db
def test_load_districts_twice_changes_nothing_and_keeps_ids():
    run("--city", "chiang-mai", "--province", "50", "--district", "5001")
    before = district_rows()

    output = run("--city", "chiang-mai", "--province", "50", "--district", "5001")

    assert district_rows() == before
    assert len(before) == 16
    assert City.objects.count() == 1
    assert "0 created, 0 updated, 16 unchanged" in output


@pytest.mark.django_db
def test_load_districts_updates_a_changed_name_in_place():
    run("--city", "chiang-mai", "--province", "50", "--district", "5001")
    district = District.objects.get(code="500101")
    District.objects.filter(pk=district.pk).update(name_th="ชื่อเก่า", name_en="Old name")

    output = run("--city", "chiang-mai", "--province", "50", "--district", "5001")

    district.refresh_from_db()
    assert (district.name_th, district.name_en) == ("ศรีภูมิ", "Si Phum")
    assert District.objects.count() == 16
    assert "1 updated" in output


@pytest.mark.django_db
def test_province_level_district_gives_the_amphoe_of_the_province():
    run("--city", "cm-province", "--province", "50", "--level", "district", "--name-th", "จังหวัดเชียงใหม่")

    city = City.objects.get(slug="cm-province")
    assert city.kind == City.Kind.PROVINCE
    assert city.name_th == "จังหวัดเชียงใหม่"
    codes = list(District.objects.filter(city=city).values_list("code", flat=True))
    assert len(codes) == 25
    assert all(len(code) == 4 and code.startswith("50") for code in codes)
    assert District.objects.get(city=city, code="5001").name_th == "เมืองเชียงใหม่"


@pytest.mark.django_db
def test_whole_province_at_subdistrict_level():
    run("--city", "cm-province", "--province", "50")
    codes = set(District.objects.values_list("code", flat=True))
    assert "500101" in codes
    assert len(codes) > 100
    assert all(len(code) == 6 and code.startswith("50") for code in codes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args",
    [
        ["--province", "99"],
        ["--province", "5"],
        ["--province", "<script>alert(1)</script>"],
        ["--province", "50'; DROP TABLE city_city; --"],
        ["--province", "50", "--district", "9999"],
        ["--province", "50", "--district", "1001"],  # Bangkok's, not Chiang Mai's
        ["--province", "50", "--district", "5001", "--level", "district"],
    ],
)
def test_bad_codes_raise_a_command_error_and_write_nothing(args):
    with pytest.raises(CommandError) as excinfo:
        run("--city", "chiang-mai", *args)
    assert str(excinfo.value)
    assert "Traceback" not in str(excinfo.value)
    assert City.objects.count() == 0
    assert District.objects.count() == 0


@pytest.mark.django_db
def test_bad_province_code_message_names_the_code():
    with pytest.raises(CommandError, match="Unknown province code “99”"):
        run("--city", "chiang-mai", "--province", "99")


@pytest.mark.django_db
def test_bad_district_code_for_an_existing_city_changes_nothing(city):
    before = district_rows()
    with pytest.raises(CommandError, match="Unknown district code"):
        run("--city", "chiang-mai", "--province", "50", "--district", "5099")
    assert district_rows() == before


@pytest.mark.django_db
def test_a_city_cannot_move_province(city):
    with pytest.raises(CommandError, match="province 50"):
        run("--city", "chiang-mai", "--province", "57", "--district", "5701")
    assert District.objects.filter(city=city).count() == 16
    assert not District.objects.filter(code__startswith="57").exists()


@pytest.mark.django_db
def test_invalid_slug_is_refused():
    with pytest.raises(CommandError, match="slug"):
        run("--city", "เชียงใหม่ city!", "--province", "50")
    assert City.objects.count() == 0


@pytest.mark.django_db
def test_service_accepts_int_codes(city):
    result = districts_load_from_geothai(city=city, province_code=50, district_code=5001)
    assert (result.created, result.unchanged) == (0, 16)


# --- Boundaries ----------------------------------------------------------------------------

SQUARE = [[[98.98, 18.78], [98.99, 18.78], [98.99, 18.79], [98.98, 18.79], [98.98, 18.78]]]


def feature(properties, geometry=None):
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": geometry if geometry is not None else {"type": "Polygon", "coordinates": SQUARE},
    }


def collection(*features) -> io.BytesIO:
    return io.BytesIO(json.dumps({"type": "FeatureCollection", "features": list(features)}).encode())


@pytest.mark.django_db
def test_boundaries_attach_by_code_and_ignore_other_areas(city, tmp_path):
    path = tmp_path / "tambon.geojson"
    data = {
        "type": "FeatureCollection",
        "features": [
            feature({"code": "500101"}),
            feature({"ADM3_PCODE": "TH500102", "ADM3_EN": "Phra Sing"}),
            feature({"subdistrict_code": 500103}, {"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]}),
            feature({"code": "100101"}),  # Bangkok: not this city's
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")

    output = run("--city", "chiang-mai", "--province", "50", "--district", "5001", "--boundaries", str(path))

    assert "3 attached, 1 features of other areas ignored" in output
    assert District.objects.get(code="500101").boundary == {"type": "Polygon", "coordinates": SQUARE}
    assert District.objects.get(code="500103").boundary["type"] == "MultiPolygon"
    assert District.objects.get(code="500104").boundary is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": {}}).encode(), "FeatureCollection"),
        (collection(feature({"name": "no code"})).getvalue(), "no code property"),
        (collection(feature({"code": "500101"}, {"type": "Point", "coordinates": [98.9, 18.7]})).getvalue(), "Polygon"),
        (collection(feature({"code": "500101"}, {"type": "Polygon", "coordinates": [[[1, 2]]]})).getvalue(), "ring"),
        (
            collection(
                feature({"code": "500101"}, {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})
            ).getvalue(),
            "end where it starts",
        ),
        (
            collection(
                feature(
                    {"code": "500101"},
                    {
                        "type": "Polygon",
                        "coordinates": [[[498000, 2078000], [499000, 2078000], [499000, 2079000], [498000, 2078000]]],
                    },
                )
            ).getvalue(),
            "WGS 84",
        ),
        (collection(feature({"code": "500101"}), feature({"code": "500101"})).getvalue(), "already on feature 1"),
        (collection(feature({"code": "500101"}, {"type": "Polygon", "coordinates": "<script>"})).getvalue(), "polygon"),
    ],
)
def test_malformed_boundaries_are_refused_with_a_message_and_change_nothing(city, content, message):
    District.objects.filter(code="500101").update(boundary={"type": "Polygon", "coordinates": SQUARE})
    before = list(District.objects.order_by("code").values_list("code", "boundary"))

    with translation.override("en"), pytest.raises(CityDataError) as excinfo:
        district_boundaries_attach(city=city, file=io.BytesIO(content))

    assert message in str(excinfo.value)
    assert list(District.objects.order_by("code").values_list("code", "boundary")) == before


@pytest.mark.django_db
def test_bad_boundaries_via_the_command_roll_back_the_whole_run(tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_bytes(b"<html>not geojson</html>")
    with pytest.raises(CommandError, match="not valid JSON"):
        run("--city", "chiang-mai", "--province", "50", "--district", "5001", "--boundaries", str(path))
    assert City.objects.count() == 0
    assert District.objects.count() == 0


@pytest.mark.django_db
def test_missing_boundary_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("--city", "chiang-mai", "--province", "50", "--boundaries", str(tmp_path / "missing.geojson"))
    assert City.objects.count() == 0
