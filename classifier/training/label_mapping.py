"""The one table that turns every source set's labels into detente's tone, score and topics.

Each entry says why. `tone=None` means "this label says nothing reliable about tone: do not use
the row for the tone models"; `topics=None` means the same for the topic model. Scores are
Goldstein-like (-10 most conflictual .. +10 most cooperative): the PLOVER per-event values given
in the datasets README, and quad-class midpoints where a set only has CAMEO quad/pentacodes.

Conventions (CAMEO / PLOVER quad classes, the field's standard basis for tone):
cooperation -> de-escalation, conflict -> escalation, statements / irrelevant -> neutral, and
non-political news (sport, tech, culture, business) -> neutral with topic `other` or `economy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from classifier.taxonomy import ToneLabel

__all__ = [
    "ACLED_SUB_EVENT",
    "AG_NEWS",
    "BBC_CATEGORY",
    "CAMEO_PENTACODE",
    "HUFFPOST_CATEGORY",
    "PLOVER_EVENT",
    "PLOVER_MODE_TOPICS",
    "RELIEFWEB_THEME_TOPICS",
    "REUTERS_NO_TONE",
    "UN_QUADCLASS",
    "Target",
    "disaster_message_target",
    "plover_target",
]


@dataclass(frozen=True, slots=True)
class Target:
    tone: ToneLabel | None
    score: float | None
    topics: tuple[str, ...] | None
    why: str
    # Topics the row is certainly not about, when its positives are unknown (topics None):
    # world news is never `other`, even though we cannot say which topic it is.
    not_topics: tuple[str, ...] = ()


ESC: Final = "escalation"
DE: Final = "de-escalation"
NEU: Final = "neutral"

# conflibert_cameo `label_name`. No topic: the pentacode does not say what the event is about.
CAMEO_PENTACODE: Final[Mapping[str, Target]] = {
    "Make a Statement": Target(NEU, 0.0, None, "CAMEO 01 statements: no move either way"),
    "Verbal Cooperation": Target(DE, 3.0, None, "CAMEO 02-05: appeals, intent, consult"),
    "Material Cooperation": Target(DE, 7.0, None, "CAMEO 06-08: aid, yield, cooperate"),
    "Verbal Conflict": Target(ESC, -3.0, None, "CAMEO 10-13: demand, disapprove, threaten"),
    "Material Conflict": Target(ESC, -8.0, None, "CAMEO 14-20: protest, coerce, assault, fight"),
}

# un_quadclass `label_name` (authoritative, see datasets README). UN-document prose, not news.
UN_QUADCLASS: Final[Mapping[str, Target]] = {
    "Irrelevant": Target(NEU, 0.0, None, "no political interaction"),
    "Verbal Cooperation": Target(DE, 3.0, None, "quad class: verbal cooperation"),
    "Material Cooperation": Target(DE, 7.0, None, "quad class: material cooperation"),
    "Verbal Conflict": Target(ESC, -3.0, None, "quad class: verbal conflict"),
    "Material Conflict": Target(ESC, -8.0, None, "quad class: material conflict"),
}

# PLOVER root events (plv_plover `gold_root`, plover_gsr and ngec_synthetic `event`), scores from
# the PLOVER per-event table. Topics follow the datasets README's suggested event -> topic map;
# verbal-conflict events (ACCUSE, REJECT, THREATEN) and COERCE have no reliable topic.
PLOVER_EVENT: Final[Mapping[str, Target]] = {
    "AGREE": Target(DE, 2.5, ("diplomacy",), "agreements between actors"),
    "CONSULT": Target(DE, 2.5, ("diplomacy",), "visits, talks, meetings"),
    "SUPPORT": Target(DE, 5.0, ("diplomacy",), "verbal endorsement of another actor"),
    "COOPERATE": Target(DE, 9.5, ("diplomacy",), "material cooperation between actors"),
    "AID": Target(DE, 10.0, ("humanitarian",), "humanitarian / economic / military aid"),
    # CONCEDE / YIELD rows are mostly domestic concessions (curfews eased, bans lifted,
    # resignations): cooperative in tone, but no single topic, so no topic.
    "CONCEDE": Target(DE, 4.5, None, "verbal yield: ease curfews, accept demands"),
    "RETREAT": Target(DE, 6.5, ("peace_process",), "withdraw, release, disarm, ceasefire"),
    "YIELD": Target(DE, 5.5, None, "PLV's merge of CONCEDE and RETREAT: mixed topics"),
    "REQUEST": Target(None, 0.0, None, "appeals for aid and demands alike: no direction"),
    "DEMAND": Target(ESC, -2.0, None, "legacy code, PLOVER GSR quad: verbal conflict"),
    "ACCUSE": Target(ESC, -2.0, None, "criticise, allege, blame"),
    "DISAPPROVE": Target(ESC, -2.0, None, "legacy code ~ACCUSE"),
    "REJECT": Target(ESC, -2.0, None, "refuse proposals, talks, demands"),
    "THREATEN": Target(ESC, -3.5, None, "threats of force or sanctions"),
    "PROTEST": Target(ESC, -5.0, ("civil_unrest",), "demonstrations, strikes, riots"),
    "MOBILIZE": Target(ESC, -5.5, ("military",), "troop deployments, alert, armament"),
    "SANCTION": Target(ESC, -6.0, ("sanctions",), "sanctions, embargoes, cut ties"),
    "COERCE": Target(ESC, -7.0, None, "arrests, bans, curfews, expulsions, cyber"),
    "ASSAULT": Target(ESC, -9.0, ("armed_conflict",), "violent attacks"),
    "FIGHT": Target(ESC, -9.0, ("armed_conflict",), "legacy code ~ASSAULT: armed combat"),
    "INVESTIGATE": Target(None, None, None, "unmapped legacy code: no quad class"),
}

# PLOVER `mode` refines the topic where the root event is too coarse (ngec_synthetic, GSR).
PLOVER_MODE_TOPICS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("ASSAULT", "SUICIDE-ATTACK"): ("terrorism",),
    ("ASSAULT", "suicide-attack"): ("terrorism",),
    ("ASSAULT", "EXPLOSIVES"): ("terrorism", "armed_conflict"),
    ("ASSAULT", "AERIAL"): ("armed_conflict", "military"),
    ("ASSAULT", "DRONE"): ("armed_conflict", "military"),
    ("SANCTION", "CONVICT"): ("crime_justice",),
    ("SANCTION", "EXPEL"): ("diplomacy",),
    ("SANCTION", "WITHDRAW"): ("diplomacy",),
    ("SANCTION", "DISCONTINUE"): ("diplomacy", "sanctions"),
    ("THREATEN", "RELATIONS"): ("diplomacy",),
    ("THREATEN", "EXPEL"): ("diplomacy",),
    ("COERCE", "MARTIAL-LAW"): ("politics",),
    ("COERCE", "CYBER"): ("crime_justice",),
    ("MOBILIZE", "POLICE"): ("crime_justice",),
    ("MOBILIZE", "MILITIA"): ("military", "armed_conflict"),
    ("RETREAT", "CEASEFIRE"): ("peace_process", "armed_conflict"),
    ("RETREAT", "RESIGN"): ("politics",),
    ("RETREAT", "RELEASE"): ("peace_process",),
    ("RETREAT", "ACCESS"): ("humanitarian",),
    ("CONSULT", "VISIT"): ("diplomacy",),
    ("CONSULT", "MULTILATERAL"): ("diplomacy",),
    ("CONSULT", "THIRD-PARTY"): ("diplomacy", "peace_process"),
    ("PROTEST", "STRIKE"): ("civil_unrest", "economy"),
}


def plover_target(event: str, mode: str = "") -> Target | None:
    """The target for a PLOVER event, with the mode's topic override; None if unknown."""
    base = PLOVER_EVENT.get(event.strip().upper())
    if base is None:
        return None
    topics = PLOVER_MODE_TOPICS.get((event.strip().upper(), mode.strip()), base.topics)
    return Target(base.tone, base.score, topics, base.why)


# acled_notes `sub_event_type`. ACLED records political violence and protest, so nearly all
# are conflict; protests follow CAMEO/PLOVER (PROTEST is material conflict) at a lower score.
ACLED_SUB_EVENT: Final[Mapping[str, Target]] = {
    "Armed clash": Target(ESC, -9.0, ("armed_conflict",), "battle between armed groups"),
    "Government regains territory": Target(ESC, -9.0, ("armed_conflict",), "battle"),
    "Non-state actor overtakes territory": Target(ESC, -9.0, ("armed_conflict",), "battle"),
    "Shelling/artillery/missile attack": Target(ESC, -9.0, ("armed_conflict",), "remote fire"),
    "Air/drone strike": Target(ESC, -9.0, ("armed_conflict", "military"), "air power"),
    "Remote explosive/landmine/IED": Target(
        ESC, -9.0, ("terrorism", "armed_conflict"), "IEDs: the typical militant attack"
    ),
    "Suicide bomb": Target(ESC, -10.0, ("terrorism",), "suicide bombing"),
    "Grenade": Target(ESC, -9.0, ("armed_conflict", "terrorism"), "grenade attack"),
    "Attack": Target(ESC, -9.0, ("armed_conflict",), "armed attack on civilians"),
    "Abduction/forced disappearance": Target(
        ESC, -7.0, ("armed_conflict", "crime_justice"), "kidnapping by armed groups"
    ),
    "Sexual violence": Target(ESC, -9.0, ("crime_justice",), "violence against civilians"),
    "Peaceful protest": Target(ESC, -4.0, ("civil_unrest",), "PLOVER PROTEST, peaceful"),
    "Protest with intervention": Target(ESC, -5.0, ("civil_unrest",), "protest dispersed"),
    "Excessive force against protesters": Target(ESC, -7.0, ("civil_unrest",), "crackdown"),
    "Violent demonstration": Target(ESC, -6.5, ("civil_unrest",), "riot"),
    "Mob violence": Target(ESC, -6.5, ("civil_unrest", "crime_justice"), "riot"),
    "Looting/property destruction": Target(ESC, -6.0, ("civil_unrest", "crime_justice"), "riot"),
    "Arrests": Target(ESC, -7.0, ("crime_justice",), "PLOVER COERCE: arrests"),
    "Agreement": Target(DE, 5.0, ("peace_process",), "agreement between conflict actors"),
    "Headquarters or base established": Target(ESC, -5.5, ("military",), "PLOVER MOBILIZE"),
    "Change to group/activity": Target(None, None, ("military",), "mergers, recruitment: mixed"),
    "Disrupted weapons use": Target(None, None, ("military",), "defused bombs, seizures: mixed"),
    "Non-violent transfer of territory": Target(None, None, ("armed_conflict",), "mixed"),
    "Other": Target(None, None, None, "unspecified strategic development"),
}

# bbc_news `category`: non-conflict domestic news, the main neutral source.
BBC_CATEGORY: Final[Mapping[str, Target]] = {
    "sport": Target(NEU, 0.0, ("other",), "sport: non-conflict"),
    "tech": Target(NEU, 0.0, ("other",), "technology: non-conflict"),
    "entertainment": Target(NEU, 0.0, ("other",), "culture: non-conflict"),
    "business": Target(NEU, 0.0, ("economy",), "business news: non-conflict"),
    "politics": Target(NEU, 0.0, ("politics",), "UK party politics 2004-05: routine politics"),
}

_WORLD: Final = Target(None, None, None, "world news: mixed topics and tone", ("other",))

# ag_news_train_samples `label_name`. World mixes conflict and cooperation: no tone and no
# positive topic, but it teaches the topic model what is not `other`.
AG_NEWS: Final[Mapping[str, Target]] = {
    "Sports": Target(NEU, 0.0, ("other",), "sport: non-conflict"),
    "Sci/Tech": Target(NEU, 0.0, ("other",), "science and technology: non-conflict"),
    "Business": Target(NEU, 0.0, ("economy",), "business news"),
    "World": _WORLD,
}

_LIFESTYLE: Final = (
    "ENTERTAINMENT", "COMEDY", "SPORTS", "TRAVEL", "TECH", "SCIENCE", "STYLE", "TASTE",
    "HEALTHY LIVING", "ARTS", "WELLNESS", "PARENTING", "PARENTS", "HOME & LIVING",
    "STYLE & BEAUTY", "DIVORCE", "WEDDINGS", "FOOD & DRINK", "ARTS & CULTURE", "CULTURE & ARTS",
    "FIFTY", "COLLEGE", "EDUCATION",
)  # fmt: skip

# huffpost_fewshot41 `category_inferred`. Identity-voice, media and weird-news sections mix
# politics, crime and conflict, so they are left out; world sections only say "not other".
HUFFPOST_CATEGORY: Final[Mapping[str, Target]] = {
    **{c: Target(NEU, 0.0, ("other",), "lifestyle / culture headline") for c in _LIFESTYLE},
    "BUSINESS": Target(NEU, 0.0, ("economy",), "business headline"),
    "MONEY": Target(NEU, 0.0, ("economy",), "personal finance headline"),
    "POLITICS": Target(None, None, ("politics",), "US politics: combative wording, no event"),
    "CRIME": Target(None, None, ("crime_justice",), "crime is not the interstate axis"),
    "WORLD NEWS": _WORLD,
    "WORLDPOST": _WORLD,
    "THE WORLDPOST": _WORLD,
    "GREEN": Target(NEU, 0.0, None, "environment: non-conflict, topic mixed"),
    "ENVIRONMENT": Target(NEU, 0.0, None, "environment: non-conflict, topic mixed"),
}

# reuters21578 `first_topic`: 1987 economic newswire, neutral economy. Trade (US-Japan chip
# sanctions) and ship (Gulf tanker war) stories carry conflict, so they keep no tone.
REUTERS_NO_TONE: Final = frozenset({"trade", "ship"})
REUTERS: Final = Target(NEU, 0.0, ("economy",), "economic newswire")

# reliefweb_themes `theme_name` -> extra topics (every report is humanitarian). Reports are
# situation updates: neutral, except security-themed ones whose tone is mixed (no tone).
RELIEFWEB_THEME_TOPICS: Final[Mapping[str, tuple[str, ...]]] = {
    "Disaster Management": ("disaster",),
    "Climate Change and Environment": ("disaster",),
    "Peacekeeping and Peacebuilding": ("peace_process",),
}
RELIEFWEB_NO_TONE: Final = frozenset(
    {"Peacekeeping and Peacebuilding", "Safety and Security", "Mine Action"}
)

TERRORISM: Final = Target(ESC, -9.0, ("terrorism",), "RAND RDWTI: every row is an attack")
AIR_CRASH: Final = Target(NEU, 0.0, ("disaster",), "accident: no conflict actor")
AIR_SHOOTDOWN: Final = Target(ESC, -9.0, ("terrorism", "armed_conflict"), "downed/bombed plane")
CRIME_HEADLINE: Final = Target(None, None, ("crime_justice",), "crime report headline")
DISASTER_NEWS: Final = Target(NEU, 0.0, ("disaster",), "weather / quake news sentence")
HUMANITARIAN_NEWS: Final = Target(None, None, ("humanitarian",), "needs and relief: mixed tone")
CRISIS_TWEET: Final = Target(NEU, 0.0, ("disaster",), "tweet about a natural/accidental crisis")

_DISASTER_COLUMNS: Final = (
    "weather_related", "floods", "storm", "fire", "earthquake", "cold", "other_weather",
)  # fmt: skip
_HUMANITARIAN_COLUMNS: Final = ("refugees", "food", "shelter", "water", "aid_related")


def disaster_message_target(row: Mapping[str, str]) -> Target | None:
    """disaster_response_messages crowd labels -> target; None for unrelated rows.

    Weather and quake reports are neutral disaster news; relief-need rows are humanitarian with
    no tone (aid flows between actors, but these are needs, not acts); military or security
    rows are left out because their tone is unknown.
    """
    if row.get("related") != "1" or row.get("military") == "1" or row.get("security") == "1":
        return None
    disaster = any(row.get(c) == "1" for c in _DISASTER_COLUMNS)
    humanitarian = any(row.get(c) == "1" for c in _HUMANITARIAN_COLUMNS)
    if disaster:
        topics = ("disaster", "humanitarian") if humanitarian else ("disaster",)
        return Target(NEU, 0.0, topics, DISASTER_NEWS.why)
    if humanitarian:
        return HUMANITARIAN_NEWS
    return None
