from decimal import Decimal

import pytest

from core.money import minor_units, money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1250"), "EUR", "EUR 1,250.00"),
        (Decimal("1250.005"), "EUR", "EUR 1,250.01"),  # half up, once, where a person reads it
        (Decimal("1250.004999"), "EUR", "EUR 1,250.00"),
        ("1250.5", "JPY", "JPY 1,251"),  # no minor unit
        (Decimal("0.0005"), "KWD", "KWD 0.001"),  # three decimals
        (Decimal("-3.333"), "USD", "USD -3.33"),
        (None, "EUR", "–"),
    ],
)
def test_it_rounds_once_to_the_currency_minor_unit(amount, currency, shown):
    assert money(amount, currency) == shown


def test_it_refuses_what_is_not_a_currency_code():
    assert minor_units("eur") == 2
    with pytest.raises(ValueError, match="ISO 4217"):
        minor_units("EURO")
