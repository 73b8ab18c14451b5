"""Date inputs render and read ISO dates, as a browser's date picker needs."""

from datetime import date

from django import forms

from core.fields import FormDateField


class _Form(forms.Form):
    plain = FormDateField()
    styled = FormDateField(widget=forms.DateInput(attrs={"type": "date", "class": "x"}))


def test_it_renders_iso_dates_in_a_date_input(settings):
    settings.LANGUAGE_CODE = "en-gb"  # a locale whose own format is 25/10/2026
    html = str(_Form(initial={"plain": date(2026, 10, 25), "styled": date(2026, 10, 25)}))
    assert html.count('type="date"') == 2
    assert html.count('value="2026-10-25"') == 2
    assert "25/10/2026" not in html


def test_it_reads_back_what_it_rendered_and_bounds_the_year():
    form = _Form(data={"plain": "2026-10-25", "styled": "1-01-01"})
    assert not form.is_valid()
    assert form.cleaned_data["plain"] == date(2026, 10, 25)
    assert "styled" in form.errors
