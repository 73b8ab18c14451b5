"""Money as people read it: the one formatter, and ISO 4217 minor units.

Amounts are computed exactly as ``Decimal`` (reports.credits) and rounded once,
here, where a person reads them: to the currency's minor unit, half up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["amount_text", "minor_units", "money"]

_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def minor_units(currency: str) -> int:
    """ISO 4217 exponent; currencies not in the table use 2."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
    return _EXPONENTS.get(code, 2)


def money(amount: Decimal | str | None, currency: str) -> str:
    """ "EUR 1,250.00", "JPY 1,250": grouped thousands, the currency's minor unit, half up; "–" for no amount."""
    if amount is None:
        return "–"
    places = minor_units(currency)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{currency} {value:,.{places}f}"


def amount_text(amount: Decimal | str | None, currency: str) -> str | None:
    """ "1250.00", "1250" (JPY), "1250.000" (KWD): the amount in the currency's minor unit, half up, as
    an API carries it (no grouping, no currency code); None for no amount."""
    if amount is None:
        return None
    places = minor_units(currency)
    return str(Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
