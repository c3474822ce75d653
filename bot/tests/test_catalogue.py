"""The real catalogue and the domain keep the contract with the handover service."""

from pathlib import Path

import pytest
import yaml
from conftest import BOT_DIR

from actions import catalogue

REAL_CATALOGUE = BOT_DIR / "catalogue" / "producten.yml"
ALL_TOPICS = set(catalogue.PRODUCT_TOPICS) | set(catalogue.CONVERSATION_TOPICS)


def test_real_catalogue_is_valid_and_complete():
    loaded = catalogue.load(REAL_CATALOGUE)
    assert set(loaded.entries) == set(catalogue.PRODUCT_TOPICS)
    assert loaded.dropped_figures == []
    for topic in ("energiesubsidie", "bijzondere_bijstand"):
        assert loaded.entries[topic].check is not None


def test_every_product_topic_is_an_intent_with_a_rule():
    domain = yaml.safe_load((BOT_DIR / "domain.yml").read_text(encoding="utf-8"))
    rules = (BOT_DIR / "data" / "rules" / "producten.yml").read_text(encoding="utf-8")
    for topic in catalogue.PRODUCT_TOPICS:
        assert topic in domain["intents"]
        assert f"intent: {topic}\n" in rules


def test_every_domain_response_carries_one_valid_topic():
    domain = yaml.safe_load((BOT_DIR / "domain.yml").read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        for variation in variations:
            assert variation.get("custom", {}).get("topic") in ALL_TOPICS, name


def test_figure_without_source_is_dropped_not_shown():
    loaded = catalogue.load(Path(__file__).parent / "fixtures" / "catalogue.yml")
    assert [f.key for f in loaded.entries["paspoort_idkaart"].figures] == ["paspoort_volwassene"]
    assert loaded.dropped_figures == ["onderwerpen.paspoort_idkaart.bedragen[1]"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"team": "burgerzaak"}, "onbekend team"),
        ({"regelen": {"manier": "fax", "tekst": "x"}}, "regelen.manier"),
        ({"titel": ""}, "'titel' ontbreekt"),
    ],
)
def test_structural_errors_stop_the_catalogue(change, message):
    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "catalogue.yml").read_text(encoding="utf-8"))
    data["onderwerpen"]["paspoort_idkaart"].update(change)
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.parse(data)


def test_unknown_topic_is_refused():
    with pytest.raises(catalogue.CatalogueError, match="onbekend onderwerp"):
        catalogue.parse({"onderwerpen": {"hondenbelasting": {}}})


def test_an_aspect_text_with_a_number_needs_a_source():
    data = yaml.safe_load((Path(__file__).parent / "fixtures" / "catalogue.yml").read_text(encoding="utf-8"))
    data["onderwerpen"]["energiesubsidie"]["duur"] = "Binnen 8 weken hoor je het."
    loaded = catalogue.parse(data)
    assert "duur" not in loaded.entries["energiesubsidie"].aspect_texts
    assert "onderwerpen.energiesubsidie.duur" in loaded.dropped_figures
    assert loaded.entries["paspoort_idkaart"].aspect_texts["duur"].source is not None


def test_real_catalogue_aspect_texts_have_no_unsourced_numbers():
    loaded = catalogue.load(REAL_CATALOGUE)
    assert any(e.aspect_texts for e in loaded.entries.values())
    assert not [label for label in loaded.dropped_figures if not label.endswith("]")]
