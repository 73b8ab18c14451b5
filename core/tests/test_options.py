from core.options import options


def test_options_escape_and_mark_the_selected_value() -> None:
    html = options([(1, "A & B"), (12, '<script>"x"</script>')], "12")
    assert html == (
        '<option value="1">A &amp; B</option>'
        '<option value="12" selected>&lt;script&gt;&quot;x&quot;&lt;/script&gt;</option>'
    )


def test_options_select_nothing_for_an_unknown_or_empty_value() -> None:
    assert "selected" not in options([(1, "a"), (2, "b")], "")
    assert "selected" not in options([(1, "a"), (2, "b")], "1x")
