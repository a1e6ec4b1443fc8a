import pytest

from perfbench.errors import UsageError
from perfbench.settings.shapes import UNNAMED, parse_shapes


def test_single_unnamed_shape():
    assert parse_shapes("[1,3,224,224]") == {UNNAMED: [1, 3, 224, 224]}


def test_named_shapes_with_spaces():
    assert parse_shapes("input_ids[1,128], attention_mask[1, 128]") == {
        "input_ids": [1, 128], "attention_mask": [1, 128]}


def test_scalar_shape():
    assert parse_shapes("x[]") == {"x": []}


@pytest.mark.parametrize("text", ["", "1,2", "[1,a]", "[0]", "[-1,3]", "a[1],[2]",
                                  "a[1],a[2]", "a[1]b[2]", "[1,,2]", "[１]"])
def test_malformed_shapes_are_errors(text):
    with pytest.raises(UsageError):
        parse_shapes(text)
