"""Outgoing messages: one kind each, and the payload rows already in a database keep."""

from __future__ import annotations

import pytest

from bot.domain.outbox import Button, Kind, Lane, Outgoing


def test_the_payload_is_what_rows_before_lanes_hold() -> None:
    out = Outgoing(1, "cases/card", {"number": "HN-1"}, ((Button("accept", ("a", "1")),),))
    assert out.to_json() == (
        '{"template": "cases/card", "context": {"number": "HN-1"}, "buttons": '
        '[[{"label": "accept", "action": ["a", "1"], "args": []}]], "copy_from": null}'
    )
    assert Outgoing.from_json(1, None, out.to_json()) == out
    assert Outgoing.from_json(1, None, '{"template": "cases/card"}') == Outgoing(1, "cases/card")


def test_each_message_has_one_kind_and_goes_in_the_case_lane_by_default() -> None:
    assert Outgoing(1, "t").kind is Kind.MESSAGE
    assert Outgoing(1, "t", copy_from=(2, 3)).kind is Kind.COPY
    assert Outgoing(1, "t", edit_of=4).kind is Kind.EDIT
    assert Outgoing(1, "t", photo=b"\x89PNG").kind is Kind.PHOTO
    assert Outgoing(1, "t").lane is Lane.CASE
    assert Lane.CASE < Lane.BULK  # the lower lane goes first


@pytest.mark.parametrize(
    "fields",
    [{"copy_from": (2, 3), "edit_of": 4}, {"edit_of": 4, "photo": b"x"}, {"photo": b""}],
)
def test_a_message_is_not_two_kinds_at_once(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="photo"):
        Outgoing(1, "t", **fields)  # type: ignore[arg-type]


def test_an_album_and_a_copy_without_caption_keep_what_they_are() -> None:
    album = Outgoing(1, "t", copy_from=(2, 5), album=(5, 6, 9), case_id=3)
    assert album.kind is Kind.ALBUM
    assert Outgoing.from_json(1, 3, album.to_json()) == album
    bare = Outgoing(1, "t", copy_from=(2, 5), captioned=False)
    assert bare.kind is Kind.COPY
    assert Outgoing.from_json(1, None, bare.to_json()) == bare
    with pytest.raises(ValueError, match="ascending"):
        Outgoing(1, "t", copy_from=(2, 6), album=(6, 5))
    with pytest.raises(ValueError, match="first message"):
        Outgoing(1, "t", copy_from=(2, 1), album=(5, 6))
