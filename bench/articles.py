"""News articles of realistic length for the benchmarks, written from the project's own templates.

Nothing here is copied from real reporting or from the training corpora: each article is a
headline and paragraphs of sentences drawn from templates below, with invented places, people and
numbers filled in by a seeded random generator, so a run is reproducible. An article encodes to
about 3.5 KB of input-schema JSON (`TARGET_BYTES`), the median length of agency news copy.

    articles = generate(1000, seed=7)      # list of input-schema dicts
    values = [encode(a) for a in articles]  # the bytes published to the input topic
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = ["TARGET_BYTES", "encode", "generate", "sizes"]

TARGET_BYTES: Final = 3_500

_COUNTRIES: Final = (
    "Norland", "Vastria", "Kell", "Oraven", "Marisca", "Tessaly", "Dunmere", "Calvena",
    "Ostrava Union", "Belmark", "Quorra", "Serenth", "Halvard", "Ylonia", "Patria Nova",
)  # fmt: skip
_CITIES: Final = (
    "Port Aldren", "Veska", "Novi Tarn", "Kaleth", "Sorrow Bay", "Mirgorod", "Elbasin",
    "Tarrow", "Ostgard", "Lumen", "Farrow Junction", "Cairnmouth", "Bresk", "Aldmoor",
)  # fmt: skip
_PEOPLE: Final = (
    "Foreign Minister Ilse Varga", "President Tomas Okoro", "General Mirela Hask",
    "Prime Minister Arno Lindqvist", "Defence Minister Sara Bellweather", "envoy Dmitri Pale",
    "mediator Grace Anokye", "spokesperson Leon Farrant", "Interior Minister Yusuf Demir",
    "opposition leader Clara Movsen", "central bank governor Ruth Ansel",
)  # fmt: skip
_ORGS: Final = (
    "the regional security council", "the United Nations", "the Red Crescent",
    "the continental union", "an international monitoring mission", "the coastal trade bloc",
    "the development bank", "a group of neighbouring states",
)  # fmt: skip
_DAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SOURCES: Final = ("Desk Wire", "Frontline Daily", "Capital Courier", "Harbour Post")

# Each story kind has headlines, a lead and body sentences; every body also borrows background
# and attribution sentences, as real copy does.
_KINDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "clash": {
        "title": (
            "{a} and {b} exchange artillery fire along disputed border near {city}",
            "Air strikes hit depots near {city} as fighting between {a} and {b} spreads",
            "{n} soldiers killed as {a} forces push into contested valley",
        ),
        "body": (
            "Artillery units on both sides of the border exchanged fire for several hours"
            " overnight, officials in {city} said on {day}.",
            "At least {n} people were killed and {m} wounded when shells struck a market and"
            " a row of houses near the front line.",
            "The defence ministry of {a} said its forces had responded to an attack on an"
            " outpost and warned that any further incursion would meet a stronger answer.",
            "{b} accused its neighbour of starting the exchange and said it had moved additional"
            " armoured units toward the frontier.",
            "Residents described hearing explosions until dawn, and hundreds of families left"
            " for towns further south.",
            "Drone footage verified by local journalists showed smoke rising from a fuel depot"
            " on the outskirts of {city}.",
            "{person} said the strikes were a deliberate escalation and called an emergency"
            " session of the cabinet.",
            "Military analysts said the use of long-range rockets marked a new phase in a"
            " conflict that had been largely confined to small-arms fire.",
            "Both capitals recalled their military attaches for consultations and closed two"
            " crossing points.",
            "The army of {a} announced the mobilisation of {m} reservists and extended a curfew"
            " in three border districts.",
        ),
    },
    "talks": {
        "title": (
            "{a} and {b} agree to restore ambassadors after months of frozen ties",
            "Ceasefire holds near {city} as prisoners are exchanged under {org} supervision",
            "Negotiators from {a} and {b} sign framework for troop withdrawal",
        ),
        "body": (
            "The two governments said on {day} that they would send their ambassadors back to"
            " each other's capitals next week, ending a freeze that began after a border clash.",
            "In a joint statement the foreign ministries said they had agreed to reopen consular"
            " services, resume direct flights and hold talks on border management within a month.",
            "{person} will visit {city} on the {n}th to prepare the meeting, officials said.",
            "Diplomats from {org}, which mediated the contacts, welcomed the step and said both"
            " sides had agreed to release detained fishermen as a gesture of goodwill.",
            "The warring parties exchanged {m} prisoners at a crossing point, the first such swap"
            " in more than a year.",
            "Monitors reported no violations of the truce during the first {n} days, and aid"
            " convoys reached two towns that had been cut off since the autumn.",
            "Negotiators are due to meet again to discuss the withdrawal of heavy weapons and the"
            " return of displaced families.",
            "{person} said the agreement was fragile but showed that dialogue could replace"
            " confrontation.",
            "Under the framework, troops will pull back {n} kilometres from the line of contact"
            " and a joint commission will investigate incidents.",
            "Business groups in {city} said the reopening of the border would allow trade worth"
            " millions to resume.",
        ),
    },
    "economy": {
        "title": (
            "Central bank of {a} raises rates as inflation reaches {n} percent",
            "{a} announces new sanctions on shipping firms linked to {b}",
            "Exports from {city} port fall for third month as demand slows",
        ),
        "body": (
            "The central bank raised its main interest rate by {n} basis points on {day}, its"
            " third increase this year, citing persistent price pressure.",
            "Consumer prices rose {n} percent from a year earlier, driven by fuel and food costs,"
            " the statistics office said.",
            "{person} told reporters that the bank was ready to act again if inflation did not"
            " slow in the coming months.",
            "The finance ministry said the package would freeze the assets of {m} companies and"
            " bar senior officials from travel.",
            "Shipping through the port of {city} fell by {n} percent, according to figures"
            " published by the harbour authority.",
            "Economists said the measures could slow growth but would help restore confidence in"
            " the currency.",
            "The stock market closed {n} percent lower, with banks and exporters leading the"
            " decline.",
            "Trade officials from {b} said they would consider a formal complaint to {org}.",
            "Manufacturers reported weaker orders from abroad and said they would delay hiring"
            " until the outlook improved.",
            "The budget office expects the deficit to narrow next year as energy subsidies are"
            " phased out.",
        ),
    },
    "disaster": {
        "title": (
            "Floods displace thousands in {a} as rivers burst their banks near {city}",
            "Earthquake of magnitude {small}.{n1} shakes northern {a}, damaging homes",
            "Wildfire forces evacuation of villages outside {city}",
        ),
        "body": (
            "Heavy rain over {n} days caused rivers to burst their banks, flooding farmland and"
            " cutting roads around {city}, emergency services said on {day}.",
            "At least {m} families were moved to shelters in schools and sports halls.",
            "{org} said it was sending tents, water purification tablets and medical supplies.",
            "Rescue teams used boats to reach villages where residents had climbed onto roofs.",
            "The national weather service warned that more rain was expected over the weekend.",
            "{person} visited the affected districts and promised compensation for lost crops.",
            "Power was restored to most of {city} by the evening, but hundreds of homes were"
            " still without water.",
            "Engineers were inspecting two bridges and a dam for damage before traffic could"
            " resume.",
            "Aid agencies said the flooding had worsened conditions for people already displaced"
            " by an earlier storm.",
            "Officials said {n} people had died and several were missing.",
        ),
    },
}
_BACKGROUND: Final = (
    "Relations between {a} and {b} have been strained since a dispute over water rights in"
    " the border region more than a decade ago.",
    "The region has seen repeated flare-ups, and earlier agreements collapsed within weeks.",
    "{org} has called on all parties to respect international humanitarian law.",
    "Independent verification of the figures was not immediately possible.",
    "The government in {b} did not respond to a request for comment.",
    "Analysts in {city} said the coming weeks would show whether the trend would hold.",
    "Parliament is expected to debate the issue when it returns from recess next month.",
    "Opinion polls suggest that a majority of voters support a cautious approach.",
    "The announcement came a day after a meeting of senior officials in {city}.",
    "A spokesperson for {org} said the organisation was following developments closely.",
    "Local media reported that similar measures had been discussed last year but shelved.",
    "Officials said further details would be published in the coming days.",
)


def _fill(template: str, rng: random.Random, a: str, b: str) -> str:
    return template.format(
        a=a,
        b=b,
        city=rng.choice(_CITIES),
        person=rng.choice(_PEOPLE),
        org=rng.choice(_ORGS),
        day=rng.choice(_DAYS),
        n=rng.randint(2, 40),
        n1=rng.randint(0, 9),
        m=rng.randint(50, 4000),
        small=rng.randint(4, 7),
    )


def _article(index: int, rng: random.Random, target_bytes: int, epoch: datetime) -> dict[str, Any]:
    kind = rng.choice(tuple(_KINDS))
    a, b = rng.sample(_COUNTRIES, 2)
    parts = _KINDS[kind]
    title = _fill(rng.choice(parts["title"]), rng, a, b)
    pool = [*parts["body"], *_BACKGROUND]
    paragraphs: list[str] = []
    sentences: list[str] = []
    article: dict[str, Any] = {
        "id": f"bench-{index:07d}",
        "title": title,
        "body": "",
        "url": f"https://example.org/news/{kind}/{index}",
        "source": rng.choice(_SOURCES),
        "published_at": (epoch + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "language": "en",
    }
    size = len(encode(article))
    paragraph_length = rng.randint(3, 5)
    while size < target_bytes:
        sentence = _fill(rng.choice(pool), rng, a, b)
        sentences.append(sentence)
        size += len(sentence) + 1
        if len(sentences) == paragraph_length:
            paragraphs.append(" ".join(sentences))
            sentences = []
            paragraph_length = rng.randint(3, 5)
            size += 2  # the JSON-escaped paragraph break
    if sentences:
        paragraphs.append(" ".join(sentences))
    article["body"] = "\n\n".join(paragraphs)
    return article


def generate(count: int, seed: int = 7, target_bytes: int = TARGET_BYTES) -> list[dict[str, Any]]:
    """`count` input-schema articles of about `target_bytes` of JSON each; same seed, same list."""
    rng = random.Random(seed)
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    return [_article(i, rng, target_bytes, epoch) for i in range(count)]


def encode(article: dict[str, Any]) -> bytes:
    return json.dumps(article, ensure_ascii=False).encode("utf-8")


def sizes(values: Sequence[bytes]) -> tuple[int, int, int]:
    """Smallest, mean and largest size in bytes."""
    lengths = [len(v) for v in values]
    return min(lengths), sum(lengths) // len(lengths), max(lengths)
