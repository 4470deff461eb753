import copy
from pathlib import Path
from typing import Any, Callable

import pytest

from bot.services import catalogue
from portal.catalogue import SeedError, load_seed
from tests.portal_seed import seed_files, write_seed

REAL_SEED = Path(__file__).resolve().parents[2] / "portal" / "seed"


def test_a_good_seed_loads(tmp_path: Path) -> None:
    seed = load_seed(write_seed(tmp_path))
    assert list(seed.guides) == ["id_card", "hukou", "pension"]  # catalogue order
    assert list(seed.offices) == ["xihu", "binjiang", "tiny"]
    assert seed.guides["id_card"].texts["en"].materials == ("Household register",)
    assert seed.offices["xihu"].opening_hours[0].close == "24:00"


def test_unquoted_yaml_times_are_understood(tmp_path: Path) -> None:
    write_seed(tmp_path)
    offices = tmp_path / "offices.yml"
    offices.write_text(offices.read_text(encoding="utf-8").replace("'24:00'", "17:30"), encoding="utf-8")
    assert load_seed(tmp_path).offices["xihu"].opening_hours[0].close == "17:30"


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(files: dict[str, Any]) -> None:
        target = files
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


_DELETE = object()


@pytest.mark.parametrize(("change", "message"), [
    (_set(["guides/id_card.yml", "en"], _DELETE), r"id_card.yml: en must be a mapping"),
    (_set(["guides/id_card.yml", "zh", "materials"], []), r"zh.materials must be a non-empty list"),
    (_set(["guides/id_card.yml", "zh", "fee"], 5), r"zh.fee must be a non-empty text"),
    (_set(["guides/id_card.yml", "id"], "hukou"), r"does not match the file name"),
    (_set(["guides/id_card.yml", "application_kinds"], ["renewal", "move"]),
     r"does not take 'move' applications"),
    (_set(["guides/id_card.yml", "offices"], ["xihu"]), r"office 'binjiang' lists 'id_card'"),
    (_set(["guides/id_card.yml", "offices"], ["xihu", "binjiang", "nowhere"]), r"unknown office 'nowhere'"),
    (_set(["offices.yml", "offices", 0, "slot_minutes"], 0), r"slot_minutes must be a whole number"),
    (_set(["offices.yml", "offices", 0, "opening_hours", 0, "open"], "9am"), r"open must be a time HH:MM"),
    (_set(["offices.yml", "offices", 0, "opening_hours", 0, "weekdays"], [0, 8]), r"weekdays must be"),
    (_set(["offices.yml", "offices", 0, "opening_hours", 0, "close"], "00:00"), r"must be before close"),
    (_set(["offices.yml", "offices", 1, "id"], "xihu"), r"'xihu' appears twice"),
    (_set(["offices.yml", "offices", 0, "services"], ["id_card", "pension", "hukou"]),
     r"lists 'hukou', but the guide"),
    (_set(["offices.yml", "offices"], []), r"offices must be a non-empty list"),
])
def test_malformed_seeds_name_the_file_and_field(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                                  message: str) -> None:
    files = copy.deepcopy(seed_files())
    change(files)
    with pytest.raises(SeedError, match=message):
        load_seed(write_seed(tmp_path, files))


def test_unknown_services_missing_files_and_bad_yaml(tmp_path: Path) -> None:
    files = seed_files()
    files["guides/passport.yml"] = {**files["guides/hukou.yml"], "id": "passport"}
    with pytest.raises(SeedError, match="'passport' is not a catalogue service"):
        load_seed(write_seed(tmp_path / "a", files))
    with pytest.raises(SeedError, match="offices.yml: file not found"):
        load_seed(tmp_path / "empty")
    write_seed(tmp_path / "b")
    (tmp_path / "b" / "guides" / "hukou.yml").write_text("id: [hukou\n", encoding="utf-8")
    with pytest.raises(SeedError, match="hukou.yml: not valid YAML"):
        load_seed(tmp_path / "b")


@pytest.mark.skipif(not (REAL_SEED / "offices.yml").is_file(), reason="portal/seed has no offices.yml yet")
def test_the_shipped_seed_covers_the_whole_catalogue_in_both_languages() -> None:
    seed = load_seed(REAL_SEED)
    assert list(seed.guides) == list(catalogue())
    for guide in seed.guides.values():
        assert set(guide.texts) == {"zh", "en"}
    assert seed.guides["id_card"].application_kinds == ("renewal", "replacement")
    assert seed.guides["pension"].application_kinds == ("qualification_certification",)
    assert seed.offices, "at least one office"
