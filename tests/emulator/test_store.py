"""The emulator's store: its indexes follow every write, and a filtered key list reads no copies."""

from __future__ import annotations

from pathlib import Path

from azure_emulator.store import Store


def _colour(doc: dict[str, object]) -> str | None:
    colour = doc.get("colour")
    return colour if isinstance(colour, str) else None


def test_an_index_finds_documents_by_their_value_as_they_are_written_replaced_and_deleted() -> None:
    store = Store()
    store.add_index("fruit", "byColour", _colour)
    store.put("fruit", "b-banana", {"colour": "yellow"})
    store.put("fruit", "a-lemon", {"colour": "yellow"})
    store.put("fruit", "c-apple", {"colour": "red"})
    store.put("fruit", "d-stone", {})  # no value: not in the index
    assert [d["colour"] for d in store.find("fruit", "byColour", "yellow")] == ["yellow", "yellow"]
    assert store.find("fruit", "byColour", "yellow", where=lambda d: d.get("ripe") is True) == []

    store.put("fruit", "b-banana", {"colour": "green", "ripe": False})  # replaced: it moves to its new value
    store.delete("fruit", "c-apple")
    assert store.find("fruit", "byColour", "yellow") == [{"colour": "yellow"}]
    assert store.find("fruit", "byColour", "green") == [{"colour": "green", "ripe": False}]
    assert store.find("fruit", "byColour", "red") == []
    assert store.find("fruit", "byColour", "blue") == []

    found = store.find("fruit", "byColour", "green")
    found[0]["colour"] = "purple"  # a copy: the stored document and the index are unchanged
    assert store.find("fruit", "byColour", "green") == [{"colour": "green", "ripe": False}]

    store.clear()
    assert store.find("fruit", "byColour", "yellow") == []


def test_an_index_added_after_a_restart_covers_the_documents_read_back(tmp_path: Path) -> None:
    first = Store(tmp_path / "state.sqlite")
    first.put("fruit", "a-lemon", {"colour": "yellow"})
    first.put("fruit", "b-kiwi", {"colour": "green"})
    first.close()
    again = Store(tmp_path / "state.sqlite")
    again.add_index("fruit", "byColour", _colour)
    assert again.find("fruit", "byColour", "yellow") == [{"colour": "yellow"}]


def test_keys_can_be_filtered_by_their_documents_in_key_order() -> None:
    store = Store()
    for name, due in (("op-3", 30), ("op-1", 10), ("op-2", 20), ("other", 0)):
        store.put("pending", name, {"due": due})
    assert store.keys("pending", "op-", where=lambda d: d["due"] <= 20) == ["op-1", "op-2"]
    assert store.keys("pending") == ["op-1", "op-2", "op-3", "other"]
