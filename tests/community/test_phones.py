import pytest
from django.core.exceptions import ValidationError

from community.phones import display_phone, mask_phone, normalise_mainland_mobile


@pytest.mark.parametrize(
    "typed",
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", "+8613800138000"],
)
def test_normalises_the_ways_people_type_a_mobile_number(typed):
    assert normalise_mainland_mobile(typed) == "+8613800138000"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345",
        "010-6552 9988",  # Beijing landline
        "+852 9123 4567",  # Hong Kong mobile
        "+1 415 555 0100",
        "1380013800",  # one digit short
        "not a number",
    ],
)
def test_refuses_anything_but_a_mainland_mobile(typed):
    with pytest.raises(ValidationError):
        normalise_mainland_mobile(typed)


def test_displays_and_masks():
    assert display_phone("+8613800138000") == "138 0013 8000"
    assert mask_phone("+8613800138000") == "138****8000"
