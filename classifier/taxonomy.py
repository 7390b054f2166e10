"""The fixed label sets: tone ids and the topic taxonomy with its IPTC Media Topic anchors.

Downstream consumers and dashboards key on these ids, so they never change meaning; a new label is
a new id, never a renamed one.

IPTC codes were checked against published Media Topics listings (cv.iptc.org/newscodes/mediatopic):
16000000 conflict, war and peace > 20000053 act of terror, 20000056 armed conflict, 20000065 civil
unrest, 20000073 peace process; 11000000 politics > 20000638 international relations > 20000639
diplomacy, 20000642 economic sanction; 20000598 national security. `military` and `humanitarian`
have no exact Media Topic: their anchors are the nearest verified concept (see each entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "GOLDSTEIN_MAX",
    "GOLDSTEIN_MIN",
    "OTHER",
    "TONE_LABELS",
    "TOPICS",
    "TOPIC_LABELS",
    "ToneLabel",
    "Topic",
]

ToneLabel = Literal["escalation", "de-escalation", "neutral"]

# Order matters: it is the column order of every probability vector the models emit.
TONE_LABELS: Final[tuple[ToneLabel, ...]] = ("escalation", "de-escalation", "neutral")

GOLDSTEIN_MIN: Final = -10.0
GOLDSTEIN_MAX: Final = 10.0


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic id, what it covers, and the IPTC Media Topic it is anchored to."""

    id: str
    description: str
    iptc_code: str
    iptc_label: str


TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        "armed_conflict",
        "hostilities between organised armed forces: strikes, shelling, battles, incursions",
        "medtop:20000056",
        "armed conflict",
    ),
    Topic(
        "terrorism",
        "attacks by militant or terrorist groups, counter-terror operations",
        "medtop:20000053",
        "act of terror",
    ),
    Topic(
        "military",
        "force posture without combat: deployments, exercises, weapons tests, arms deals",
        "medtop:20000598",
        "national security (nearest verified anchor; IPTC's defence concepts sit beside it)",
    ),
    Topic(
        "diplomacy",
        "relations between states: visits, talks, summits, ambassadors, diplomatic disputes",
        "medtop:20000639",
        "diplomacy",
    ),
    Topic(
        "peace_process",
        "ceasefires, truces, peace talks, mediation, peacekeeping, prisoner exchanges",
        "medtop:20000073",
        "peace process",
    ),
    Topic(
        "sanctions",
        "sanctions, embargoes, trade restrictions",
        "medtop:20000642",
        "economic sanction",
    ),
    Topic(
        "civil_unrest",
        "protests, riots, strikes",
        "medtop:20000065",
        "civil unrest",
    ),
    Topic(
        "politics",
        "domestic politics and government, elections, coups",
        "medtop:11000000",
        "politics",
    ),
    Topic(
        "economy",
        "economy, business, finance, trade",
        "medtop:04000000",
        "economy, business and finance",
    ),
    Topic(
        "humanitarian",
        "refugees, displacement, aid, humanitarian crises",
        "medtop:20000638",
        "international relations (narrower: foreign aid; refugees and internally displaced people)",
    ),
    Topic(
        "disaster",
        "natural or industrial disasters, accidents",
        "medtop:03000000",
        "disaster, accident and emergency incident",
    ),
    Topic(
        "crime_justice",
        "crime, policing, arrests, courts",
        "medtop:02000000",
        "crime, law and justice",
    ),
    Topic(
        "other",
        "everything else: sport, science, culture, health; only ever alone",
        "medtop:01000000 / 15000000 / 13000000 / 07000000",
        "arts, culture and entertainment / sport / science and technology / health",
    ),
)

TOPIC_LABELS: Final[tuple[str, ...]] = tuple(topic.id for topic in TOPICS)
OTHER: Final = "other"
