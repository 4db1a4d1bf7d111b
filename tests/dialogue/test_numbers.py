"""Numbers and durations in digits or words, with the spans they were read from."""

import pytest

from aisalesman.dialogue.numbers import Duration, find_durations, find_numbers, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("99", 99), ("1,450", 1450), ("4.7", 4.7), ("99.99", 99.99), ("$29.99", None), ("10k", 10_000),
        ("ninety-nine", 99), ("ninety nine", 99), ("twenty-four", 24), ("fourteen", 14), ("zero", 0),
        ("a hundred", 100), ("one hundred", 100), ("a hundred and twenty-nine", 129),
        ("a hundred and forty-nine", 149), ("eight hundred and ninety", 890),
        ("fourteen hundred and fifty", 1450), ("one thousand four hundred and fifty", 1450),
        ("forty thousand", 40_000), ("two million", 2_000_000), ("ninety-nine point nine", 99.9),
        ("four point seven", 4.7), ("a tenner", 10), ("a fiver", 5), ("a grand", 1000), ("two grand", 2000),
        ("a dozen", 12), ("half", 0.5), ("a quarter", 0.25), ("a third", pytest.approx(1 / 3)), ("a fifth", 0.2),
        ("a tenth", 0.1), ("thousands", 1000), ("tens of thousands", 10_000),
        ("two and a half", 2.5), ("one and a half", 1.5), ("fourteen fifty", 1450), ("fourteen-fifty", 1450),
        ("twelve ninety-nine", 1299),
    ],
)
def test_parse_number_reads_digits_and_words(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["a", "the", "one-off", "a one-time fee", "nine ten", "forty and fifty", "$29.99",
                                  "99 dollars", "third"])
def test_parse_number_is_none_unless_the_whole_text_is_one_number(text):
    assert parse_number(text) is None


def test_numbers_are_found_with_their_spans_and_kinds():
    text = "Pro costs a hundred and seventy-nine dollars, or knock a tenner off, for thousands of owners."
    found = find_numbers(text)
    assert [(text[n.start : n.end], n.value, n.kind) for n in found] == [
        ("a hundred and seventy-nine", 179, "cardinal"),
        ("a tenner", 10, "money"),
        ("thousands", 1000, "rough"),
    ]


def test_a_number_phrase_stops_at_punctuation_and_at_a_second_number():
    assert [n.value for n in find_numbers("45, 79 or 129 a month")] == [45, 79, 129]
    assert [n.value for n in find_numbers("twenty, five")] == [20, 5]
    assert [n.value for n in find_numbers("nine ten")] == [9, 10]
    assert [n.value for n in find_numbers("1,450 and 480")] == [1450, 480]


def test_one_in_idioms_is_not_a_count():
    assert find_numbers("a one-off setup fee, one of our clients, no one") == ()
    assert [n.value for n in find_numbers("a one-month trial")] == [1]


@pytest.mark.parametrize(
    ("text", "days", "months"),
    [
        ("two weeks", 14, 14 / 30), ("a fortnight", 14, 14 / 30), ("fourteen days", 14, 14 / 30),
        ("a 14-day trial", 14, 14 / 30), ("a full month", 30, 1), ("the first month", 30, 1),
        ("a one-month trial", 30, 1), ("twenty-four-month contract", 720, 24), ("a two-year agreement", 730, 24),
        ("two full years", 730, 24), ("half a year", 180, 6), ("a half-year commitment", 182.5, 6),
        ("ten working days", 10, 1 / 3), ("30 days' notice", 30, 1), ("a week's notice", 7, 7 / 30),
        ("within ten hours", 10 / 24, 10 / 720), ("two and a half years", 912.5, 30),
        ("a year and a half", 547.5, 18),
    ],
)
def test_durations_carry_their_unit(text, days, months):
    (d,) = find_durations(text)
    assert d.days == pytest.approx(days) and d.months == pytest.approx(months)
    assert text[d.start : d.end].strip()


def test_durations_are_found_left_to_right_and_not_in_other_numbers():
    text = "After the 14-day trial it's a 6-month term, year one at $49."
    assert [(d.amount, d.unit) for d in find_durations(text)] == [(14, "day"), (6, "month")]
    assert find_durations("a one-off fee of a grand") == ()


def test_duration_text_is_canonical():
    assert Duration(14, "day", 0, 1).text() == "14 days"
    assert Duration(1, "month", 0, 1).text() == "1 month"
    assert Duration(0.5, "year", 0, 1).months == 6
