"""Profiles and PDPA consents: the account holder, dependants of 9, 15 and 68, sensitive data
only with its own consent, withdrawal as easy as giving, hostile input refused clearly."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from participants import services
from participants.errors import ParticipantError
from participants.models import Consent, Participant, PrivacyNotice
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
P = Consent.Purpose


def years_ago(years: int, extra_days: int = 10) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=extra_days)


def profile(home, **overrides):
    fields = {
        "given_name": "สมศรี",
        "family_name": "ใจงาม",
        "birth_date": years_ago(34),
        "sex": "female",
        "district": home,
        "preferred_language": "th",
    }
    fields.update(overrides)
    return fields


def errors_of(call) -> dict:
    with pytest.raises(ParticipantError) as info:
        call()
    return info.value.message_dict


def test_privacy_notice_version_1_is_published_in_thai_and_english(settings):
    settings.CONTACT_EMAIL = "pdpa@city.example"
    notice = PrivacyNotice.objects.get(version=1)
    with translation.override("th"):
        assert "พ.ศ. 2562" in notice.text and "pdpa@city.example" in notice.text
    with translation.override("en"):
        assert "B.E. 2562" in notice.text and "PDPC" in notice.text and "pdpa@city.example" in notice.text


def test_account_holder_profile_records_the_privacy_consent(district):
    user = UserFactory()
    person = services.participant_create_self(
        user=user, privacy_consent=True, **profile(district, phone="081 234 5678")
    )
    assert person.is_self and person.account == user and person.phone == "081 234 5678"
    consent = person.consents.get()
    assert (consent.purpose, consent.notice.version, consent.given_by, consent.on_behalf) == (
        P.PRIVACY_NOTICE,
        1,
        user,
        False,
    )
    error = errors_of(lambda: services.participant_create_self(user=user, privacy_consent=True, **profile(district)))
    assert "__all__" in error


def test_the_privacy_consent_is_required_and_sensitive_data_never_is(district):
    user = UserFactory()
    error = errors_of(lambda: services.participant_create_self(user=user, privacy_consent=False, **profile(district)))
    assert set(error) == {"privacy_consent"}
    error = errors_of(
        lambda: services.participant_create_self(
            user=user, privacy_consent=True, access_needs="ใช้รถเข็น", **profile(district)
        )
    )
    assert set(error) == {"access_needs"}
    person = services.participant_create_self(
        user=user,
        privacy_consent=True,
        sensitive_data_consent=True,
        has_disability=True,
        access_needs="ใช้รถเข็น\nต้องการทางลาด",
        **profile(district),
    )
    assert person.access_needs == "ใช้รถเข็น\nต้องการทางลาด" and person.has_disability is True
    assert set(person.consents.values_list("purpose", flat=True)) == {P.PRIVACY_NOTICE, P.SENSITIVE_DATA}

    services.consent_withdraw(participant=person, purpose=P.SENSITIVE_DATA, actor=user)
    person.refresh_from_db()
    assert person.access_needs == "" and person.has_disability is None
    assert person.consents.get(purpose=P.SENSITIVE_DATA).withdrawn_at is not None
    error = errors_of(lambda: services.participant_update(participant=person, actor=user, access_needs="x"))
    assert "access_needs" in error
    again = services.consent_give(participant=person, purpose=P.SENSITIVE_DATA, actor=user)
    assert again.withdrawn_at is None and person.consents.filter(purpose=P.SENSITIVE_DATA).count() == 2
    assert services.consent_give(participant=person, purpose=P.SENSITIVE_DATA, actor=user) == again


def test_a_nine_year_old_needs_only_the_guardians_consent(district):
    guardian = UserFactory()
    fields = profile(district, given_name="น้องฟ้า", birth_date=years_ago(9))
    error = errors_of(lambda: services.dependant_create(account=guardian, **fields))
    assert set(error) == {"guardian_consent"}
    child = services.dependant_create(account=guardian, guardian_consent=True, **fields)
    consents = {c.purpose: c for c in child.consents.all()}
    assert set(consents) == {P.PRIVACY_NOTICE, P.GUARDIAN}
    for consent in consents.values():
        assert consent.given_by == guardian and consent.on_behalf and not consent.subject_agreed


def test_a_fifteen_year_old_needs_the_guardian_and_their_own_agreement(district):
    guardian = UserFactory()
    fields = profile(district, given_name="น้องเมฆ", birth_date=years_ago(15))
    error = errors_of(lambda: services.dependant_create(account=guardian, **fields))
    assert set(error) == {"guardian_consent", "dependant_agrees"}
    error = errors_of(lambda: services.dependant_create(account=guardian, guardian_consent=True, **fields))
    assert set(error) == {"dependant_agrees"}
    error = errors_of(lambda: services.dependant_create(account=guardian, dependant_agrees=True, **fields))
    assert set(error) == {"guardian_consent"}
    teen = services.dependant_create(account=guardian, guardian_consent=True, dependant_agrees=True, **fields)
    consents = {c.purpose: c for c in teen.consents.all()}
    assert set(consents) == {P.PRIVACY_NOTICE, P.GUARDIAN}
    assert all(c.subject_agreed and c.on_behalf for c in consents.values())


def test_an_adult_dependant_agrees_and_needs_no_guardian(district):
    account = UserFactory()
    fields = profile(district, given_name="คุณแม่", birth_date=years_ago(68))
    assert set(errors_of(lambda: services.dependant_create(account=account, **fields))) == {"dependant_agrees"}
    parent = services.dependant_create(account=account, dependant_agrees=True, **fields)
    assert list(parent.consents.values_list("purpose", flat=True)) == [P.PRIVACY_NOTICE]
    with pytest.raises(ParticipantError):
        services.consent_give(participant=parent, purpose=P.GUARDIAN, actor=account)


def test_under_twenty_cannot_register_themselves(district):
    error = errors_of(
        lambda: services.participant_create_self(
            user=UserFactory(), privacy_consent=True, **profile(district, birth_date=years_ago(17))
        )
    )
    assert set(error) == {"birth_date"}


def test_year_only_birth_dates_are_stored_as_1_july(district):
    person = services.participant_create_self(
        user=UserFactory(),
        privacy_consent=True,
        **profile(district, birth_date=1958, birth_date_is_year_only=True),
    )
    assert person.birth_date == dt.date(1958, 7, 1) and person.birth_date_is_year_only


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", ""),
        ("given_name", "   \u200b\x00 "),
        ("given_name", "ก" * 101),
        ("given_name", "<script>alert(1)</script>"),
        ("family_name", "x" * 5000),
        ("birth_date", "1990-01-01; DROP TABLE participants_participant"),
        ("birth_date", dt.date(2999, 1, 1)),
        ("birth_date", dt.date(1800, 1, 1)),
        ("birth_date", None),
        ("sex", "robot"),
        ("preferred_language", "fr"),
        ("phone", "081-<b>"),
        ("phone", "1" * 40),
        ("district", None),
    ],
)
def test_hostile_or_malformed_input_gives_a_clear_message_on_its_field(district, field, value):
    with translation.override("en"):
        error = errors_of(
            lambda: services.participant_create_self(
                user=UserFactory(), privacy_consent=True, **profile(district, **{field: value})
            )
        )
    assert field in error and all(error[field])
    assert not Participant.objects.exists()


def test_unicode_names_are_kept_and_invisible_characters_dropped(district):
    person = services.participant_create_self(
        user=UserFactory(),
        privacy_consent=True,
        **profile(district, given_name="  ณัฐ\u200bธิดา 🌸 ", family_name="O'Brien-ศรี"),
    )
    assert person.given_name == "ณัฐธิดา 🌸" and person.family_name == "O'Brien-ศรี"


def test_outside_the_city_needs_no_district(district):
    person = services.participant_create_self(
        user=UserFactory(), privacy_consent=True, **profile(district, district=district, lives_outside_city=True)
    )
    assert person.district is None and person.lives_outside_city


def test_correcting_my_data_and_not_someone_elses(district):
    user = UserFactory()
    person = services.participant_create_self(user=user, privacy_consent=True, **profile(district))
    services.participant_update(participant=person, actor=user, family_name="ใจดี", phone="", lives_outside_city=True)
    person.refresh_from_db()
    assert (person.family_name, person.phone, person.district, person.lives_outside_city) == ("ใจดี", "", None, True)
    with pytest.raises(PermissionDenied):
        services.participant_update(participant=person, actor=UserFactory(), family_name="X")
    with pytest.raises(PermissionDenied):
        services.consent_withdraw(participant=person, purpose=P.PRIVACY_NOTICE, actor=UserFactory())
    with pytest.raises(TypeError):
        services.participant_update(participant=person, actor=user, account=None)


def test_withdrawing_is_as_easy_as_giving_and_keeps_the_record(district):
    user = UserFactory()
    person = services.participant_create_self(user=user, privacy_consent=True, **profile(district))
    withdrawn = services.consent_withdraw(participant=person, purpose=P.PRIVACY_NOTICE, actor=user)
    assert withdrawn.withdrawn_at is not None
    assert services.consent_withdraw(participant=person, purpose=P.PRIVACY_NOTICE, actor=user) is None
    assert person.consents.count() == 1
