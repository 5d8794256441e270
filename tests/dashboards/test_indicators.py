"""The dashboards' arithmetic (indicators.py) against values computed by hand."""

import datetime as dt

import pytest

from learningcity.dashboards import indicators as ind


def test_participation_rate_and_per_thousand():
    assert ind.rate(41, 550) == pytest.approx(0.0745454545)
    assert ind.per_thousand(41, 550) == pytest.approx(74.545454545)
    assert ind.rate(5, 0) is None
    assert ind.rate(None, 10) is None
    assert ind.rate("<5", 10) is None


def test_parity_index_and_adjusted_parity():
    # female 32/300, male 9/250: r = 0.106667 / 0.036 = 2.962963; adjusted 2 - 1/r = 1.6625
    r = ind.parity_index(32 / 300, 9 / 250)
    assert r == pytest.approx(2.962963, rel=1e-6)
    assert ind.adjusted_parity(r) == pytest.approx(1.6625)
    # r <= 1 is reported as it is
    assert ind.adjusted_parity(0.8) == pytest.approx(0.8)
    # r = 1.25 -> 2 - 0.8 = 1.2; r = 0.5 -> 0.5 (the adjusted index is symmetric: 2 - 1/2 vs 1/2)
    assert ind.adjusted_parity(1.25) == pytest.approx(1.2)
    assert ind.adjusted_parity(2.0) == pytest.approx(1.5)
    assert ind.parity_index(0.1, 0) is None
    assert ind.adjusted_parity(None) is None


@pytest.mark.parametrize(
    ("adjusted", "parity", "reading"),
    [
        (0.97, True, "parity"),
        (1.03, True, "parity"),
        (1.0, True, "parity"),
        (0.969, False, "disadvantaged_low"),
        (1.031, False, "reference_low"),
    ],
)
def test_parity_band(adjusted, parity, reading):
    assert ind.is_parity(adjusted) is parity
    assert ind.parity_reading(adjusted) == reading


def test_change_against_previous_period():
    assert ind.change(170, 100) == pytest.approx(70.0)
    assert ind.change(25, 10) == pytest.approx(150.0)
    assert ind.change(5, 0) is None
    assert ind.change("<5", 10) is None


def test_small_cell_suppression():
    assert [ind.suppress(v, exact=False) for v in (0, 1, 4, 5, 120)] == [0, "<5", "<5", 5, 120]
    assert [ind.suppress(v, exact=True) for v in (1, 4)] == [1, 4]


def test_complementary_suppression_hides_a_second_cell():
    # one small cell alone could be found from the total: the smallest other one goes too
    assert ind.suppress_complementary([3, 40, 12, 0], exact=False) == ["<5", 40, "<5", 0]
    assert ind.suppress_complementary([3, 2, 40], exact=False) == ["<5", "<5", 40]
    assert ind.suppress_complementary([3, 40], exact=True) == [3, 40]


def test_periods():
    assert ind.last_12_months(dt.date(2026, 3, 15)) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert ind.previous_period(dt.date(2025, 4, 1), dt.date(2026, 3, 31)) == (dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    assert ind.previous_period(dt.date(2026, 1, 10), dt.date(2026, 1, 19)) == (
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 9),
    )
    assert ind.learner_period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == "year"
    assert ind.learner_period(dt.date(2025, 4, 1), dt.date(2026, 3, 31)) == "rolling12"
    assert ind.learner_period(dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == "month"
    assert ind.learner_period(dt.date(2026, 2, 2), dt.date(2026, 2, 28)) is None
    assert ind.learner_period(dt.date(2026, 1, 1), dt.date(2026, 6, 30)) is None


def test_thai_school_terms():
    assert ind.term_of(dt.date(2026, 5, 16)) == (2026, 1)
    assert ind.term_of(dt.date(2026, 10, 31)) == (2026, 1)
    assert ind.term_of(dt.date(2026, 11, 1)) == (2026, 2)
    assert ind.term_of(dt.date(2027, 3, 1)) == (2026, 2)
    assert ind.term_bounds(2026, 2) == (dt.date(2026, 11, 1), dt.date(2027, 4, 30))


def test_hours_and_age_groups():
    assert ind.hours(5580) == 93.0
    assert [ind.age_group_of(a) for a in (0, 5, 6, 14, 15, 24, 25, 59, 60, 64, 65, 99)] == [
        0,
        0,
        6,
        6,
        15,
        15,
        25,
        25,
        60,
        60,
        65,
        65,
    ]
