from __future__ import annotations

import copy

from contracts.diffing import MISSING, diff_terms, flatten, label_for
from contracts.presets import preset_terms


def test_identical_terms_have_no_diff():
    terms = preset_terms("enterprise-24x7")
    assert diff_terms(terms, copy.deepcopy(terms)) == []


def test_a_changed_leaf_is_reported_with_old_and_new():
    a = preset_terms("enterprise-24x7")
    b = copy.deepcopy(a)
    b["uptime"]["target_percent"] = "99.9"
    b["claim_window_days"] = 45
    assert sorted(diff_terms(a, b)) == [("claim_window_days", 30, 45), ("uptime.target_percent", "99.95", "99.9")]


def test_rows_with_an_identity_are_matched_by_it_not_by_position():
    a = preset_terms("enterprise-24x7")
    b = copy.deepcopy(a)
    b["targets"].reverse()
    assert diff_terms(a, b) == []
    b["targets"][0]["restore_minutes"] = 9999  # low / non_production after the reverse
    assert diff_terms(a, b) == [("targets[low, non_production].restore_minutes", 10080, 9999)]


def test_added_and_removed_rows_use_missing():
    a = preset_terms("enterprise-24x7")
    b = copy.deepcopy(a)
    b["breach_credits"] = []
    b["calendar"]["closures"] = [{"date": "2026-12-24", "name": "Christmas Eve"}]
    rows = diff_terms(a, b)
    assert ("breach_credits[critical, restore].percent", "2", MISSING) in rows
    assert ("calendar.closures[0].name", MISSING, "Christmas Eve") in rows
    # The emptied / newly filled list is reported through its rows only.
    assert not any(path in ("breach_credits", "calendar.closures") for path, _, _ in rows)


def test_null_and_missing_are_different():
    assert diff_terms({"a": None}, {}) == [("a", None, MISSING)]
    assert diff_terms({"a": 1}, {"a": True}) == [("a", 1, True)]


def test_lists_of_plain_values_are_leaves():
    assert dict(flatten({"pause": {"stops": ["restore", "resolve"]}})) == {"pause.stops": ["restore", "resolve"]}
    assert diff_terms({"pause": {"stops": ["restore"]}}, {"pause": {"stops": []}}) == [("pause.stops", ["restore"], [])]


def test_duplicate_identities_fall_back_to_positions():
    a = {"metrics": [{"metric": "availability", "binding": True}, {"metric": "availability", "binding": False}]}
    b = copy.deepcopy(a)
    b["metrics"][1]["binding"] = True
    assert diff_terms(a, b) == [("metrics[1].binding", False, True)]


def test_labels():
    assert label_for("targets[critical, non_production].restore_minutes") == (
        "Severity matrix › Critical, non-production › Restore within"
    )
    assert label_for("credit_tiers[0].percent") == "Credit tiers › Tier 1 › Credit %"
    assert label_for("escalation[2].contact_role") == "Escalation › Level 2 › Contact"
    assert label_for("uptime.target_percent") == "Uptime › Target %"
