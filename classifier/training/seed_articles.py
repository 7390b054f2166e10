"""Read the shared seed file (two real articles in one text file) by path, never by copy.

The seed README numbers the articles and quotes each headline; an article starts at the first
line of the seed file equal to its headline and runs to the next article's start.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import Final

from classifier.prediction import ArticleText

__all__ = ["DEFAULT_SEED_DIR", "read_seed_articles"]

DEFAULT_SEED_DIR: Final = Path("../shared/seed")
_TITLE: Final = re.compile(r'^\s*\d+\.\s+"(.+?)"', re.MULTILINE)


def _fold(text: str) -> str:
    """Straight quotes and single spaces: the README and the article differ in quote style."""
    return " ".join(text.replace("’", "'").replace("‘", "'").split())


def read_seed_articles(seed_dir: Path = DEFAULT_SEED_DIR) -> list[ArticleText]:
    """The seed articles in README order; [] when the directory or its files are absent."""
    readme = seed_dir / "README.md"
    texts = sorted(p for p in seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if not readme.is_file() or not texts:
        return []
    titles = _TITLE.findall(readme.read_text(encoding="utf-8"))
    lines = texts[0].read_text(encoding="utf-8").splitlines()
    folded = [_fold(line) for line in lines]
    starts = [next((i for i, line in enumerate(folded) if line == _fold(t)), -1) for t in titles]
    if not titles or -1 in starts:
        return []
    bounds = [*starts, len(lines)]
    out = []
    for lo, hi in pairwise(bounds):
        body = "\n".join(lines[lo + 1 : hi]).strip()
        out.append(ArticleText(title=lines[lo].strip(), body=body))
    return out
