import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from learningcity.city.models import City, District, Population
from learningcity.city.services import population_import_csv

HEADER = "district_code,year,sex,age_from,age_to,count\n"


def import_csv(city, text: str | bytes, **kwargs):
    data = text.encode("utf-8") if isinstance(text, str) else text
    with translation.override("en"):
        return population_import_csv(city=city, file=io.BytesIO(data), **kwargs)


def table():
    return list(
        Population.objects.order_by("district__code", "year", "sex", "age_from").values_list(
            "district__code", "year", "sex", "age_from", "age_to", "count", "is_demo"
        )
    )


GOOD = HEADER + (
    "500101,2025,female,0,4,1200\n"
    "500101,2025,female,5,9,1300\n"
    "500101,2025,female,80,,400\n"
    "500101,2025,male,0,0,230\n"
    "500102,2025,M,1,1,210\n"
    "500102,2025,หญิง,1,1,220\n"
    '500102,2025,ชาย,2,2,"1,234"\n'
)


@pytest.mark.django_db
def test_good_file_imports_the_expected_cells(city):
    result = import_csv(city, GOOD)

    assert result.ok, result.errors
    assert (result.rows, result.created, result.updated, result.deleted) == (7, 7, 0, 0)
    assert result.years == (2025,)
    assert table() == [
        ("500101", 2025, "female", 0, 4, 1200, False),
        ("500101", 2025, "female", 5, 9, 1300, False),
        ("500101", 2025, "female", 80, None, 400, False),
        ("500101", 2025, "male", 0, 0, 230, False),
        ("500102", 2025, "female", 1, 1, 220, False),
        ("500102", 2025, "male", 1, 1, 210, False),
        ("500102", 2025, "male", 2, 2, 1234, False),
    ]
    city.refresh_from_db()
    assert city.population_year == 2025


@pytest.mark.django_db
def test_importing_twice_changes_nothing(city):
    import_csv(city, GOOD)
    ids_before = sorted(Population.objects.values_list("id", flat=True))
    before = table()

    result = import_csv(city, GOOD)

    assert result.ok
    assert (result.created, result.updated) == (0, 7)
    assert table() == before
    assert sorted(Population.objects.values_list("id", flat=True)) == ids_before


@pytest.mark.django_db
def test_upsert_updates_counts(city):
    import_csv(city, GOOD)
    result = import_csv(city, HEADER + "500101,2025,female,0,4,999\n")
    assert result.ok
    assert Population.objects.get(district__code="500101", sex="female", age_from=0).count == 999
    assert Population.objects.count() == 7


@pytest.mark.django_db
@pytest.mark.parametrize("sex", ["female", "Female", " FEMALE ", "f", "F", "หญิง"])
def test_sex_labels_for_female(city, sex):
    result = import_csv(city, HEADER + f"500101,2025,{sex},0,0,10\n")
    assert result.ok, result.errors
    assert Population.objects.get().sex == Population.Sex.FEMALE


@pytest.mark.django_db
@pytest.mark.parametrize("sex", ["male", "M", "m", "ชาย"])
def test_sex_labels_for_male(city, sex):
    result = import_csv(city, HEADER + f"500101,2025,{sex},0,0,10\n")
    assert result.ok, result.errors
    assert Population.objects.get().sex == Population.Sex.MALE


@pytest.mark.django_db
def test_excel_bom_and_crlf_are_accepted(city):
    data = b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8")
    result = import_csv(city, data)
    assert result.ok, result.errors
    assert Population.objects.count() == 7


@pytest.mark.django_db
def test_extra_columns_and_blank_lines_are_ignored(city):
    text = "district_code,district_name,year,sex,age_from,age_to,count\n\n500101,ศรีภูมิ,2025,female,0,0,5\n\n"
    result = import_csv(city, text)
    assert result.ok, result.errors
    assert Population.objects.get().count == 5


BAD = HEADER + (
    "500101,2025,female,0,4,1200\n"  # 2 good
    "999999,2025,female,0,4,10\n"  # 3 unknown district
    "500101,2568,female,5,9,10\n"  # 4 Buddhist Era year
    "500101,20x5,female,5,9,10\n"  # 5 bad year
    "500101,2025,other,5,9,10\n"  # 6 bad sex
    "500101,2025,male,5,9,-3\n"  # 7 negative count
    "500101,2025,male,10,14,many\n"  # 8 non-numeric count
    "500101,2025,male,20,15,10\n"  # 9 age_to < age_from
    "500101,2025,female,0,4,1200\n"  # 10 duplicate of line 2
    "500101,2025,female,3,6,10\n"  # 11 overlaps 0-4 on line 2
    "500101,2025,female\n"  # 12 too few columns
    "500101,2025,male,90,,10\n"  # 13 good (90+)
    "500101,2025,male,95,95,10\n"  # 14 overlaps 90+ on line 13
    "500101,2025,male,12.5,13,10\n"  # 15 non-integer age
    "500101,2025,male,200,,10\n"  # 16 implausible age
    "500101,1066,male,30,30,10\n"  # 17 implausible year
    ",2025,male,31,31,10\n"  # 18 empty district code
)
BAD_LINES = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18}


@pytest.mark.django_db
def test_bad_rows_are_reported_with_their_line_numbers_and_nothing_is_written(city):
    result = import_csv(city, BAD)

    assert not result.ok
    assert {line for line, _message in result.errors} == BAD_LINES
    messages = dict(result.errors)
    assert "999999" in messages[3]
    assert "Buddhist Era" in messages[4] and "2025" in messages[4]
    assert "other" in messages[6]
    assert "line 2" in messages[10]
    assert "line 2" in messages[11]
    assert "line 13" in messages[14]
    assert "Expected 6 columns, found 3" in messages[12]
    assert [line for line, _m in result.errors] == sorted(line for line, _m in result.errors)
    assert Population.objects.count() == 0
    city.refresh_from_db()
    assert city.population_year is None


@pytest.mark.django_db
def test_bad_file_leaves_existing_figures_exactly_as_they_were(city):
    import_csv(city, GOOD)
    before = table()

    result = import_csv(city, BAD)
    assert not result.ok
    result = import_csv(city, BAD, replace=True)
    assert not result.ok

    assert table() == before


@pytest.mark.django_db
def test_command_prints_every_error_and_exits_non_zero(city, tmp_path):
    import_csv(city, GOOD)
    before = table()
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError) as excinfo:
        call_command("import_population", str(path), "--city", "chiang-mai")

    text = str(excinfo.value)
    assert "nothing was changed" in text
    for line in BAD_LINES:
        assert f"Line {line}:" in text
    assert "Line 2:" not in text
    assert table() == before


@pytest.mark.django_db
def test_command_imports_a_good_file(city, tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_population", str(path), "--city", "chiang-mai", stdout=out)
    assert "Imported 7 figures for 2025" in out.getvalue()
    assert Population.objects.count() == 7


@pytest.mark.django_db
def test_command_unknown_city_and_missing_file(city, tmp_path):
    with translation.override("en"):
        with pytest.raises(CommandError, match="No city"):
            call_command("import_population", str(tmp_path / "x.csv"), "--city", "nowhere")
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("import_population", str(tmp_path / "x.csv"), "--city", "chiang-mai")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (HEADER.encode(), "no data rows"),
        (b"district_code,year,sex,count\n500101,2025,female,3\n", "age_from, age_to"),
        (b"district_code,year,sex,sex,age_from,age_to,count\n", "repeats"),
        ("\ufeffdistrict_code,year,sex,age_from,age_to,count\n".encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02\xff\xfe\xfd" * 100, "UTF-8"),
    ],
)
def test_file_level_problems(city, content, message):
    result = import_csv(city, content)
    assert not result.ok
    assert any(message in m for _line, m in result.errors), result.errors
    assert Population.objects.count() == 0


@pytest.mark.django_db
def test_hostile_content_gives_line_errors_not_crashes(city):
    huge = "9" * 10_000
    lines = [
        "<script>alert('x')</script>,2025,female,0,0,1",  # 2 HTML
        "500101'; DROP TABLE city_population; --,2025,female,1,1,1",  # 3 SQL-ish
        "500101,2025,😀,2,2,1",  # 4 emoji
        f"{huge},2025,female,3,3,1",  # 5 10,000-character field
        f"500101,2025,female,4,4,{huge}",  # 6 huge number
        "500101,2025,female,5,5," + "x" * 200_000,  # 7 beyond the CSV field limit
        "500101,2025,female,6,6,1",  # 8 good
        "500101,2025,fem\x00ale,7,7,1",  # 9 NUL
    ]
    data = (
        HEADER.encode()
        + "\n".join(lines).encode()
        + b"\n"
        + b"\xff\xfe\x80garbage\x9f\n"
        + b"500101,2025,female,8,8,1\n"
    )

    result = import_csv(city, data)

    assert not result.ok
    lines_with_errors = {line for line, _m in result.errors}
    assert lines_with_errors == {2, 3, 4, 5, 6, 7, 9, 10}
    messages = dict(result.errors)
    assert "not UTF-8" in messages[10]
    assert all(len(m) < 300 for _line, m in result.errors)  # values are shortened in messages
    assert Population.objects.count() == 0


@pytest.mark.django_db
def test_replace_deletes_the_years_in_the_file_first(city):
    import_csv(city, GOOD)
    import_csv(city, HEADER + "500101,2024,female,0,4,1000\n")
    assert Population.objects.count() == 8

    result = import_csv(city, HEADER + "500101,2025,female,0,0,240\n500101,2025,female,1,4,960\n", replace=True)

    assert result.ok, result.errors
    assert result.deleted == 7
    assert (result.created, result.rows) == (2, 2)
    assert table() == [
        ("500101", 2024, "female", 0, 4, 1000, False),
        ("500101", 2025, "female", 0, 0, 240, False),
        ("500101", 2025, "female", 1, 4, 960, False),
    ]
    city.refresh_from_db()
    assert city.population_year == 2025


@pytest.mark.django_db
def test_command_replace_flag(city, tmp_path):
    import_csv(city, GOOD)
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "500103,2025,male,0,,5000\n", encoding="utf-8")
    with translation.override("en"):
        call_command("import_population", str(path), "--city", "chiang-mai", "--replace", stdout=io.StringIO())
    assert table() == [("500103", 2025, "male", 0, None, 5000, False)]


@pytest.mark.django_db
def test_new_bands_overlapping_stored_single_years_are_refused_without_replace(city):
    import_csv(city, HEADER + "".join(f"500101,2025,female,{age},{age},10\n" for age in range(5)))
    before = table()

    result = import_csv(city, HEADER + "500101,2025,female,0,4,50\n")

    assert not result.ok
    assert [line for line, _m in result.errors] == [2]
    assert "replace" in result.errors[0][1]
    assert table() == before
    assert import_csv(city, HEADER + "500101,2025,female,0,4,50\n", replace=True).ok
    assert table() == [("500101", 2025, "female", 0, 4, 50, False)]


@pytest.mark.django_db
def test_year_option(city):
    result = import_csv(city, "district_code,sex,age_from,age_to,count\n500101,female,0,0,5\n", year=2024)
    assert result.ok, result.errors
    assert Population.objects.get().year == 2024

    result = import_csv(city, HEADER + "500101,2023,female,0,0,5\n", year=2024)
    assert [line for line, _m in result.errors] == [2]


@pytest.mark.django_db
def test_codes_of_another_city_are_unknown(city):
    other = City.objects.create(slug="other", province_code="10", name_th="อื่น")
    District.objects.create(city=other, code="100101", name_th="พระบรมมหาราชวัง")
    result = import_csv(city, HEADER + "100101,2025,female,0,0,5\n")
    assert [line for line, _m in result.errors] == [2]
    assert Population.objects.count() == 0


@pytest.mark.django_db
def test_population_year_is_the_latest_year_stored(city):
    import_csv(city, HEADER + "500101,2025,female,0,0,5\n")
    import_csv(city, HEADER + "500101,2020,female,0,0,5\n")
    city.refresh_from_db()
    assert city.population_year == 2025


@pytest.mark.django_db
def test_a_large_file_imports_in_bulk(city, django_assert_max_num_queries):
    districts = [f"5001{n:02d}" for n in range(1, 17)]
    rows = [
        f"{code},{year},{sex},{age},{age},{age + 1}\n"
        for year in (2023, 2024, 2025)
        for code in districts
        for sex in ("female", "male")
        for age in range(101)
    ]
    data = (HEADER + "".join(rows)).encode()
    with django_assert_max_num_queries(20):
        result = import_csv(city, data)
    assert result.ok
    assert Population.objects.count() == len(rows) == 9696
