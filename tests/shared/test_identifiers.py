import pytest

from shared.identifiers import (
    id_number_check_character,
    id_number_problem,
    uscc_check_character,
    uscc_problem,
)


def with_check(first17: str) -> str:
    return first17 + uscc_check_character(first17)


@pytest.mark.parametrize("first17", [
    "91330326MA2CT8U6X",  # a company (9, 1)
    "11330326002593427",  # an organ of government (1, 1)
    "G1330326000000001",  # codes may begin with letters (G, N, Y, A registration authorities)
    "N2330326000000002",
    "Y1330326000000003",
    "A1330326000000004",
])
def test_a_code_with_its_computed_check_character_is_valid(first17: str) -> None:
    assert uscc_problem(with_check(first17)) is None


def test_known_real_world_code_is_accepted() -> None:
    # Published example from GB 32100-2015 materials.
    assert uscc_problem("91350100M000100Y43") is None


@pytest.mark.parametrize(("code", "reason"), [
    ("91330326MA2CT8U6X", "field.length_18"),
    ("91330326MA2CT8U6XAA", "field.length_18"),
    ("91330326MA2CT8I6X0", "uscc.characters"),  # I is not in the alphabet
    ("91330326ma2ct8u6x0", "uscc.characters"),
])
def test_malformed_codes_are_refused_with_a_reason(code: str, reason: str) -> None:
    problem = uscc_problem(code)
    assert problem is not None and problem.code == reason


def test_the_characters_refused_are_named_as_a_param() -> None:
    problem = uscc_problem("91330326ma2ct8u6x0")
    assert problem is not None
    assert problem.at("uscc").message == "contains characters not allowed in a USCC: acmtux"
    assert problem.at("uscc").params == {"characters": "acmtux"}


def test_every_wrong_check_character_is_refused() -> None:
    first17 = "91330326MA2CT8U6X"
    right = uscc_check_character(first17)
    for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if wrong != right:
            problem = uscc_problem(first17 + wrong)
            assert problem is not None and problem.code == "uscc.check_character"


def test_id_number_with_correct_check_digit_is_valid() -> None:
    assert id_number_problem("11010519491231002X") is None  # the standard's example


def test_id_number_check_character_can_be_x() -> None:
    assert id_number_check_character("11010519491231002") == "X"


@pytest.mark.parametrize(("number", "reason"), [
    ("110105194912310021", "id_number.check_digit"),
    ("11010519491331002X", "id_number.birth_date"),
    ("1101051949123100", "field.length_18"),
    ("11010519491231002Y", "id_number.digits"),
])
def test_bad_id_numbers_are_refused_without_echoing_them(number: str, reason: str) -> None:
    problem = id_number_problem(number)
    assert problem is not None and problem.code == reason
    assert number not in problem.message and not problem.params
