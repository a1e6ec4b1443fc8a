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


def test_data_shape_lists():
    from perfbench.settings.shapes import parse_data_shapes, shape_label
    assert parse_data_shapes("[1,128][1,256] [1,512]") == [{"": [1, 128]}, {"": [1, 256]},
                                                           {"": [1, 512]}]
    sets = parse_data_shapes("ids[1,128][1,256],mask[1,128][1,256],pos[1,1]")
    assert sets == [{"ids": [1, 128], "mask": [1, 128], "pos": [1, 1]},
                    {"ids": [1, 256], "mask": [1, 256], "pos": [1, 1]}]
    assert shape_label(sets[1]) == "ids[1,256],mask[1,256],pos[1,1]"
    for bad, message in (("", "empty"), ("[1,x]", "positive whole"), ("ids[1][2],ids[3]", "twice"),
                         ("a[1][2],b[1][2][3]", "different numbers"), ("[1],b[2]", "alone"),
                         ("[1,2", "cannot parse")):
        with pytest.raises(UsageError, match=message):
            parse_data_shapes(bad)
