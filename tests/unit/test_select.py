"""--select / --exclude: reflekt 0.6 forms, globs, and no silent empty selections."""

from __future__ import annotations

import pytest

from reflekt_core.errors import SelectionError
from reflekt_core.schemas.select import normalise_selector, select_files

FILES = ["web/Cart_Viewed/1-0.json", "web/Order_Completed/1-0.json", "web/Order_Completed/1-1.json",
         "app/Order_Completed/1-0.json", "app/Identify/1-0.json"]


@pytest.mark.parametrize(("selector", "expected"), [
    ("schemas/web/Order_Completed/1-0.json", "web/Order_Completed/1-0"),
    ("web/Order_Completed/1-0", "web/Order_Completed/1-0"),
    ("./schemas/web/", "web"), ("schemas", ""), ("", ""), ("schemas\\web", "web"),
])
def test_normalise(selector, expected):
    assert normalise_selector(selector) == expected


@pytest.mark.parametrize(("select", "expected"), [
    (None, FILES),
    (["schemas/web"], FILES[:3]),
    (["web/Order_Completed"], FILES[1:3]),
    (["schemas/web/Order_Completed/1-1.json"], [FILES[2]]),
    (["web/Order_Completed/1-1"], [FILES[2]]),
    (["web/Cart_Viewed", "app/Identify"], [FILES[0], FILES[4]]),
    (["*/Order_Completed"], FILES[1:4]),
    (["*/Order_Completed/1-0"], [FILES[1], FILES[3]]),
    (["app/*"], FILES[3:]),
])
def test_select(select, expected):
    assert select_files(FILES, select) == expected


def test_folder_prefix_does_not_match_partial_names():
    with pytest.raises(SelectionError):
        select_files(FILES, ["web/Order"])


def test_exclude():
    assert select_files(FILES, ["web"], ["web/Order_Completed/1-0"]) == [FILES[0], FILES[2]]


def test_no_match_is_an_error_with_a_suggestion():
    with pytest.raises(SelectionError, match=r"--select 'web/Order_Complete' matches no schema.*did you mean: "
                                             r"web/Order_Completed"):
        select_files(FILES, ["web/Order_Complete"])


def test_exclude_matching_nothing_is_an_error():
    with pytest.raises(SelectionError, match="--exclude 'nope' matches no schema"):
        select_files(FILES, None, ["nope"])


def test_excluding_everything_is_an_error():
    with pytest.raises(SelectionError, match="every selected schema is excluded"):
        select_files(FILES, ["app"], ["app"])


def test_empty_schemas_folder_is_an_error():
    with pytest.raises(SelectionError, match="no event schemas found"):
        select_files([], None)
