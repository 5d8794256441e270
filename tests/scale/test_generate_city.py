"""The synthetic-city generator (bench/generator.py, `manage.py generate_city`): documented
counts, determinism, the database invariants, and search over what it generates."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from bench import wordlists
from bench.generator import SCALES, city_checksums
from learningcity.city.models import City
from participants.models import Attendance, Enrolment, Participant
from programmes.models import Course, Programme, ProgrammeSearch, SearchWord, Session
from programmes.search import programme_search
from programmes.services import programme_search_refresh, search_words_rebuild

pytestmark = pytest.mark.django_db


def _generate(scale="small", seed=1, *extra):
    call_command("generate_city", "--scale", scale, "--seed", str(seed), *extra, stdout=_Sink())


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass


def _scalar(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _city_filters():
    city = City.objects.get(slug="synthetic-small")
    return city, {
        "participants": Participant.objects.filter(account__email__endswith="@small.synthetic.invalid"),
        "programmes": Programme.objects.filter(provider__city=city),
        "courses": Course.objects.filter(programme__provider__city=city),
        "sessions": Session.objects.filter(course__programme__provider__city=city),
        "enrolments": Enrolment.objects.filter(course__programme__provider__city=city),
        "attendance": Attendance.objects.filter(session__course__programme__provider__city=city),
    }


def test_small_city_has_the_documented_counts_and_shapes():
    _generate()
    spec = SCALES["small"]
    city, rows = _city_filters()
    assert city.districts.count() == spec.districts
    assert rows["participants"].count() == spec.participants
    assert rows["programmes"].count() == spec.programmes
    assert rows["courses"].count() == spec.courses
    assert rows["sessions"].count() == spec.sessions
    assert rows["enrolments"].count() == spec.enrolments
    assert rows["attendance"].count() == spec.attendance
    assert city.providers.count() == spec.providers
    assert city.venues.count() == spec.venues
    # A quarter are dependants, each with a guardian account whose holder is a participant.
    people = rows["participants"]
    assert people.filter(is_self=False).count() == spec.participants // 4
    assert not people.filter(is_self=False, account__isnull=True).exists()
    assert not people.filter(is_self=False).exclude(account__participants__is_self=True).exists()
    # Uneven districts: the busiest district has several times the participants of the quietest.
    per_district = sorted(
        people.exclude(district=None).values("district").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert per_district[-1] > 3 * per_district[0]
    # The catalogue has a next course for the programmes with a scheduled one.
    assert rows["programmes"].exclude(next_course=None).exists()


def test_small_city_satisfies_the_invariants():
    _generate()
    city = City.objects.get(slug="synthetic-small")
    params = {"city": city.pk}
    courses = """SELECT c.* FROM programmes_course c JOIN programmes_programme p ON p.id = c.programme_id
                 JOIN programmes_provider v ON v.id = p.provider_id WHERE v.city_id = %(city)s"""
    # seats_taken == confirmed + offered, waitlist_count == waitlisted, within capacity.
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM ({courses}) c LEFT JOIN LATERAL (
            SELECT COUNT(*) FILTER (WHERE status IN ('confirmed', 'offered')) AS held,
                   COUNT(*) FILTER (WHERE status = 'waitlisted') AS waiting
            FROM participants_enrolment e WHERE e.course_id = c.id) n ON true
        WHERE c.seats_taken <> n.held OR c.waitlist_count <> n.waiting OR c.seats_taken > c.capacity""",
            params,
        )
        == 0
    )
    assert _scalar(f"SELECT SUM(seats_taken) FROM ({courses}) c", params) > 0
    assert _scalar(f"SELECT SUM(waitlist_count) FROM ({courses}) c", params) > 0
    # Waiting-list positions are 1..n, contiguous, per course.
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM (SELECT e.course_id, COUNT(*) n, MIN(waitlist_position) lo, MAX(waitlist_position) hi,
                                     COUNT(DISTINCT waitlist_position) d
                              FROM participants_enrolment e JOIN ({courses}) c ON c.id = e.course_id
                              WHERE e.status = 'waitlisted' GROUP BY e.course_id) w
        WHERE lo <> 1 OR hi <> n OR d <> n""",
            params,
        )
        == 0
    )
    # A waiting list only where the course is full.
    assert _scalar(f"SELECT COUNT(*) FROM ({courses}) c WHERE waitlist_count > 0 AND seats_taken < capacity",
                   params) == 0  # fmt: skip
    # Sessions inside the course dates, ending after they start.
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM programmes_session s JOIN ({courses}) c ON c.id = s.course_id
        WHERE s.ends_at <= s.starts_at OR (s.starts_at AT TIME ZONE 'Asia/Bangkok')::date NOT BETWEEN c.starts_on
              AND c.ends_on""",
            params,
        )
        == 0
    )
    # Attendance only for a participant enrolled in the session's course (via the enrolment row).
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM participants_attendance a JOIN programmes_session s ON s.id = a.session_id
        JOIN ({courses}) c ON c.id = s.course_id LEFT JOIN participants_enrolment e ON e.id = a.enrolment_id
        WHERE e.id IS NULL OR e.course_id <> s.course_id OR e.participant_id <> a.participant_id
              OR e.status IN ('cancelled', 'waitlisted')""",
            params,
        )
        == 0
    )
    # Attendance only for sessions that took place.
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM participants_attendance a JOIN programmes_session s ON s.id = a.session_id
        JOIN ({courses}) c ON c.id = s.course_id WHERE a.marked_at < s.starts_at""",
            params,
        )
        == 0
    )
    # Completed enrolments met their course's rule.
    assert (
        _scalar(
            f"""
        SELECT COUNT(*) FROM participants_enrolment e JOIN ({courses}) c ON c.id = e.course_id
        WHERE e.status = 'completed' AND (SELECT COUNT(*) FROM participants_attendance a
              WHERE a.enrolment_id = e.id AND a.status = 'present') * 100
              < c.completion_min_attendance_pct * (SELECT COUNT(*) FROM programmes_session s WHERE s.course_id = c.id)
        """,
            params,
        )
        == 0
    )
    # The sequences moved past the generated ids: the ORM can add rows afterwards.
    assert Course.objects.order_by("-pk").first().pk < _scalar(
        "SELECT nextval(pg_get_serial_sequence('programmes_course', 'id'))"
    )


def test_same_seed_same_city_other_seed_other_city():
    _generate(seed=1)
    first = city_checksums(raw_connection=connection.connection, scale="small")
    assert all(first.values())
    _generate("small", 1, "--replace")
    assert city_checksums(raw_connection=connection.connection, scale="small") == first
    _generate("small", 2, "--replace")
    other = city_checksums(raw_connection=connection.connection, scale="small")
    assert other["participants"] != first["participants"]
    assert other["enrolments"] != first["enrolments"]
    assert City.objects.filter(slug="synthetic-small").count() == 1


def test_search_tokens_equal_what_the_service_computes_and_search_finds_a_thai_word():
    _generate()
    city = City.objects.get(slug="synthetic-small")
    programmes = Programme.objects.filter(provider__city=city).order_by("pk")
    documents = ProgrammeSearch.objects.filter(programme__in=programmes).order_by("pk")
    fields = ("pk", "listed", "city", "next_start", "title_th_lower", "title_en_lower", "search_text", "search_vector")
    sample = list(documents.values_list(*fields))
    assert len(sample) == programmes.count() and all(row[1] for row in sample)
    # The triggers copied each programme's next start (set by the generator's final schedule refresh).
    assert {row[0]: row[3] for row in sample} == dict(programmes.values_list("pk", "next_start"))
    assert any(row[3] is not None for row in sample)
    programme_search_refresh(programme_ids=[row[0] for row in sample])
    assert list(documents.values_list(*fields)) == sample

    word = "สมาร์ตโฟน"
    assert any(word in topic[0] for topic in wordlists.TOPICS)
    found = programme_search(programmes, word)
    expected = programmes.filter(title_th__contains=word).count()
    assert expected > 0
    assert found.count() >= expected
    assert word in found.first().title_th
    # A Thai sub-word inside a longer segmented word (ผัก in การปลูกผักสวนครัว) is found too.
    assert programme_search(programmes, "ผักสวนครัว").exists()
    # The generator fills the misspelling lexicon as it writes the documents: the same words as
    # a rebuild from them, and a misspelt English title word is found.
    words = set(SearchWord.objects.values_list("word", flat=True))
    assert "photography" in words
    assert search_words_rebuild() == len(words)
    assert set(SearchWord.objects.values_list("word", flat=True)) == words
    assert programme_search(programmes, "fotografy", "en").filter(title_en__icontains="photography").exists()


def test_refuses_a_database_with_a_real_city_unless_forced():
    City.objects.create(slug="chiang-mai", name_th="เชียงใหม่", province_code="50")
    with pytest.raises(CommandError, match="real city"):
        _generate("tiny")
    assert not City.objects.filter(slug="synthetic-tiny").exists()
    _generate("tiny", 1, "--force")
    assert City.objects.filter(slug="synthetic-tiny").exists()
    assert City.objects.filter(slug="chiang-mai").exists()


def test_refuses_to_overwrite_without_replace_and_replace_keeps_other_cities():
    _generate("tiny")
    _generate("small")
    with pytest.raises(CommandError, match="--replace"):
        _generate("tiny")
    small_programmes = Programme.objects.filter(provider__city__slug="synthetic-small").count()
    _generate("tiny", 3, "--replace")
    assert Programme.objects.filter(provider__city__slug="synthetic-small").count() == small_programmes
    assert Participant.objects.filter(account__email__endswith="@tiny.synthetic.invalid").count() == (
        SCALES["tiny"].participants
    )


@pytest.mark.parametrize("bad", ["huge", "", "small; DROP TABLE city_city"])
def test_unknown_scale_is_refused(bad):
    with pytest.raises(CommandError):
        call_command("generate_city", "--scale", bad)


def test_replace_works_after_staff_used_the_synthetic_city():
    """Audit entries, e-mail addresses and notifications of synthetic accounts do not block
    --replace (the audit trail stays, without the actor)."""
    from allauth.account.models import EmailAddress

    from learningcity.accounts.models import User
    from learningcity.audit.models import AuditEntry
    from participants.models import Notification

    _generate("tiny")
    staff = User.objects.get(email="staff1@tiny.synthetic.invalid")
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    entry = AuditEntry.objects.create(actor=staff, action="course_update")
    enrolment = Enrolment.objects.filter(participant__account__email__endswith="@tiny.synthetic.invalid").first()
    Notification.objects.create(
        recipient=staff, participant=enrolment.participant, enrolment=enrolment, kind="course_changed",
        subject="x", body="y", created_at=enrolment.created_at,
    )  # fmt: skip
    _generate("tiny", 1, "--replace")
    entry.refresh_from_db()
    assert entry.actor is None
    assert User.objects.filter(email="staff1@tiny.synthetic.invalid").count() == 1
    assert not EmailAddress.objects.filter(email="staff1@tiny.synthetic.invalid").exists()
