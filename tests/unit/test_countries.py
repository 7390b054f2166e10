"""The country extractor: contract, ambiguity rules, centrality, and the two real seed articles."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from classifier.countries import MAX_COUNTRIES, Country, CountryExtractor
from classifier.countries.gazetteer import ALIASES_PATH, load_gazetteer
from classifier.prediction import ArticleText
from tests.seed_articles import seed_articles


@cache
def _extractor() -> CountryExtractor:
    return CountryExtractor.load()


def codes(body: str, title: str = "") -> list[str]:
    return [c.code for c in _extractor().extract(ArticleText(title=title, body=body))]


# -- contract -------------------------------------------------------------------------------------


def test_no_state_gives_empty_tuple() -> None:
    assert codes("The quarterback threw for 300 yards as the home side won in overtime.") == []


def test_entries_carry_code_name_mentions_and_headline_flag() -> None:
    text = ArticleText(
        title="Iran and Turkey sign gas deal",
        body="Iranian and Turkish ministers met in Ankara. Russia was not invited to the talks.",
    )
    out = _extractor().extract(text)
    # Turkey: its name, demonym and capital; Iran: name and demonym.
    assert out[:2] == (
        Country(code="TR", name="Turkey", mentions=3, in_headline=True),
        Country(code="IR", name="Iran", mentions=2, in_headline=True),
    )
    assert Country(code="RU", name="Russia", mentions=1, in_headline=False) in out


def test_at_most_five_entries() -> None:
    body = " ".join(
        f"{n} sent envoys." for n in ["France", "Spain", "Italy", "Greece", "Chile"] * 2
    )
    body += " Peru and Japan sent envoys. Peru and Japan agreed."
    assert len(codes(body)) == MAX_COUNTRIES


def test_case_is_kept_us_and_turkey_only_as_names() -> None:
    assert codes("Let us carve the turkey, he told us at dinner.") == []
    assert codes("The US and Turkey agreed.") == ["US", "TR"]


def test_all_caps_headline_us_is_the_pronoun() -> None:
    assert codes("The mayor spoke to reporters.", title="HE TOLD US TO WAIT") == []


def test_short_forms_demonyms_capitals_and_seats() -> None:
    assert codes("U.S. and UK officials met DPRK envoys.") == ["US", "GB", "KP"]
    assert codes("Iranians and Pakistanis protested.") == ["IR", "PK"]
    assert codes("Tehran said Islamabad must act.") == ["IR", "PK"]
    assert codes("The Kremlin said the White House was wrong.") == ["RU", "US"]


def test_whole_words_only() -> None:
    assert codes("The USB drive was found in a BUSINESS office in Omaha.") == []
    assert codes("Officials in Port-au-Prince misused US$50 million and US $2 million.") == ["HT"]


# -- centrality -----------------------------------------------------------------------------------


def test_centrality_is_not_first_mention() -> None:
    body = "A French envoy came. Iran said Iranian forces stay; Iran and Iranian aides agreed."
    assert codes(body)[0] == "IR"


def test_headline_outweighs_body_repetition() -> None:
    filler = "The meeting went on for hours and ended without a statement. " * 12
    body = "Officials in Tehran confirmed the test. " + filler + "Cuba said. Cuba said. Cuba said."
    assert codes(body, title="Iran tests a new missile") == ["IR", "CU"]


def test_a_single_passing_mention_deep_in_an_article_is_not_central() -> None:
    filler = "Lawmakers debated the budget bill late into the night in the capital. " * 12
    body = "The Senate in Canberra passed the budget. Australia's treasurer welcomed it. "
    assert codes(body + filler + "A similar plan failed in Norway.") == ["AU"]


# -- ambiguity ------------------------------------------------------------------------------------


def test_georgia_the_us_state_in_us_context() -> None:
    body = "Voters in Atlanta, Georgia, lined up for the U.S. Senate runoff. Georgia counts today."
    assert codes(body) == ["US"]


def test_georgia_the_country_with_caucasus_cues() -> None:
    assert codes("Georgia accused Moscow of backing separatists in Abkhazia.")[0] == "GE"
    assert codes("Russian troops crossed into Georgia.") == ["RU", "GE"]


def test_georgia_alone_is_undecidable() -> None:
    assert codes("Georgia reported record rainfall this week.") == []


def test_jordan_as_a_person_name() -> None:
    assert codes("Rep. Jim Jordan questioned the witness. Jordan said the memo was false.") == []
    assert codes("Former star Michael Jordan opened a clinic in Charlotte.") == []


def test_jordan_the_country() -> None:
    assert codes("King Abdullah of Jordan met the Iraqi prime minister.") == ["JO", "IQ"]


def test_chad_as_a_person_name_and_as_the_country() -> None:
    assert codes("Acting secretary Chad Wolf toured the border.") == []
    assert codes("Troops from Chad and Cameroon fought Boko Haram.") == ["TD", "CM"]


def test_niger_is_not_nigeria() -> None:
    assert codes("Nigeria and Nigerian officials met.") == ["NG"]
    assert codes("Niger and Nigerien officials met.") == ["NE"]
    assert codes("Niger closed its border with Nigeria.") == ["NE", "NG"]


def test_guinea_variants_are_distinct_states() -> None:
    body = "Guinea-Bissau, Equatorial Guinea, Papua New Guinea and Guinea signed."
    assert codes(body) == ["GW", "GQ", "PG", "GN"]
    assert codes("Pirates are active in the Gulf of Guinea off New Guinea.") == []


def test_washington_the_government_and_the_state() -> None:
    assert codes("Washington imposed sanctions on Caracas.") == ["US", "VE"]
    # The state is weak US evidence: one mention does not make a US story.
    assert codes("Wildfires spread in Washington state east of the Cascades.") == []
    assert codes("The Washington Post said a portrait of George Washington was sold.") == []


def test_turkey_the_bird_at_thanksgiving() -> None:
    body = "At Thanksgiving the family roasted a Turkey. Turkey leftovers filled the fridge."
    assert codes(body) == []
    assert codes("Turkey shelled Kurdish positions near Syria.")[0] == "TR"


def test_congo_defaults_to_the_drc() -> None:
    assert codes("Fighting in Congo displaced thousands near Goma.") == ["CD"]
    assert codes("Officials in Brazzaville said Congo would hold elections.") == ["CG"]
    assert codes("The Democratic Republic of the Congo and the Republic of the Congo met.") == [
        "CD",
        "CG",
    ]


def test_korea_alone_needs_north_or_south_context() -> None:
    assert codes("Korea is cold in winter.") == []
    assert codes("Pyongyang fired a missile. Korea said it was a test.") == ["KP"]
    assert codes("Seoul held elections. Korea chose a president.") == ["KR"]
    both = "North Korea and South Korea met. Korea talks will go on."
    north_south = [c for c in _extractor().extract(ArticleText("", both))]
    assert {c.code: c.mentions for c in north_south} == {"KP": 1, "KR": 1}


def test_palestine_kosovo_taiwan_use_their_codes_and_names() -> None:
    out = _extractor().extract(
        ArticleText(
            "", "Palestine, Kosovo and Taiwan sent Palestinian, Kosovar and Taiwanese envoys."
        )
    )
    assert [(c.code, c.name) for c in out] == [
        ("PS", "Palestine"),
        ("XK", "Kosovo"),
        ("TW", "Taiwan"),
    ]


def test_ethnic_compounds_are_american_not_foreign() -> None:
    assert codes("Mexican-American voters and Indian-American donors met in Chicago.") == []


# -- the data file --------------------------------------------------------------------------------


def test_two_states_claiming_one_form_fail_at_load(tmp_path: Path) -> None:
    text = ALIASES_PATH.read_text(encoding="utf-8").replace(
        'FJ = { demonyms = ["Fijian"]', 'FJ = { names = ["Tonga"], demonyms = ["Fijian"]'
    )
    path = tmp_path / "aliases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="Tonga"):
        load_gazetteer(path)


def test_every_ambiguous_form_states_its_rule() -> None:
    rules = [f.rule for f in load_gazetteer().forms if f.rule is not None]
    assert {r.surface for r in rules} >= {"Georgia", "Jordan", "Chad", "Turkey", "Korea", "Congo"}
    assert all(len(r.why) > 20 and r.steps for r in rules)


# -- the real seed articles -----------------------------------------------------------------------


def test_seed_one_is_about_iran_and_pakistan() -> None:
    first = seed_articles()[0]
    out = _extractor().extract(ArticleText(first.title, first.body))
    assert {c.code for c in out[:2]} == {"IR", "PK"}


def test_seed_two_has_afghanistan_and_iran_among_its_first_three() -> None:
    second = seed_articles()[1]
    out = _extractor().extract(ArticleText(second.title, second.body))
    assert {"AF", "IR"} <= {c.code for c in out[:3]}
