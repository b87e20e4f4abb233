"""Callback data: signed, bound to the user, and never an exception on a forged press."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.callbacks import CallbackCodec

CODEC = CallbackCodec("123456789:AAH-test-token")


def test_round_trip_and_binding_to_the_user() -> None:
    data = CODEC.encode(42, "case", "accept", "7")
    callback = CODEC.decode(42, data)
    assert callback is not None
    assert (callback.prefix, callback.args) == ("case", ("accept", "7"))
    assert CODEC.decode(43, data) is None
    assert CODEC.decode(42, data.replace(":7~", ":8~")) is None


def test_non_ascii_forgeries_are_refused() -> None:
    assert CODEC.decode(42, "case:accept:7~签名签名签名签名") is None
    assert CODEC.decode(42, "case:accept:7~\udcff\udcff") is None


@given(st.integers(), st.text(max_size=80))
def test_decode_never_raises_on_any_text(user_id: int, data: str) -> None:
    assert CODEC.decode(user_id, data) is None  # nothing random carries a valid signature


@given(st.integers(min_value=1, max_value=2**40), st.binary(max_size=64))
def test_decode_never_raises_on_any_bytes(user_id: int, raw: bytes) -> None:
    CODEC.decode(user_id, raw.decode("utf-8", errors="surrogateescape"))
