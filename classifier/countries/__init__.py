"""The countries each article is about: ISO 3166-1 codes, most central first.

    gazetteer   pycountry names + our reviewed additions (aliases.toml) -> surface forms
    rules       ambiguity rules (Georgia, Jordan, Turkey, Korea, Congo, ...) applied in context
    extractor   one automaton pass over the original text, centrality ranking -> `Country` values

Pure code: nothing here reads Kafka, Prometheus or the service's settings.
"""

from classifier.countries.extractor import (
    MAX_COUNTRIES,
    Country,
    CountryExtractor,
    CountryFinder,
    default_extractor,
)

__all__ = ["MAX_COUNTRIES", "Country", "CountryExtractor", "CountryFinder", "default_extractor"]
