"""Lines of web-page furniture that CMS exports leave in HTML article bodies.

Share bars, newsletter pitches, cookie notices, photo credits and "read more" links are not news:
left in, they become sentences that the tone model reads and evidence that users see. Only the
HTML path drops them (`classifier.html_text`): plain text is the publisher's own copy and passes
through untouched.

A line is furniture when it is short and opens with one of a few fixed phrases, or when it is a
cookie notice. The phrases are chosen so that news sentences do not start with them: "share this"
and "share on", never "share" alone ("Share prices fell"); "related:" with its colon, never
"related" ("Related talks resume").
"""

from __future__ import annotations

from typing import Final

__all__ = ["is_boilerplate"]

# Furniture is short; a line longer than this is copy whatever it starts with.
_MAX_WORDS: Final = 14
# A cookie notice can run to a few sentences but not to a paragraph of news.
_MAX_COOKIE_WORDS: Final = 80

_OPENINGS: Final = (
    "share this", "share on", "share via", "share:", "share article", "share story",
    "subscribe to", "subscribe now", "subscribe for", "subscribe here",
    "subscribe:", "sign up for", "sign up to", "sign up here", "sign up now", "follow us",
    "follow @", "follow our", "click here", "read more", "read next", "read also",
    "also read", "related:", "related articles", "related stories", "related coverage",
    "related content", "related topics", "more on this story", "more from", "recommended:",
    "advertisement", "sponsored content", "download the", "download our", "get the app",
    "join our", "join the conversation", "newsletter", "image copyright", "image caption",
    "media caption", "image source", "photo:", "photograph:", "picture:", "photo credit",
    "copyright ©", "©", "all rights reserved", "skip to content", "skip to main",
    "back to top", "continue reading", "story continues", "article continues",
    "listen to this article", "print this", "email this", "tweet this", "leave a comment",
    "comments (", "view comments", "watch:", "watch video", "play video",
)  # fmt: skip
# Lines made only of these words are a share bar ("Facebook Twitter Email").
_SHARE_WORDS: Final = frozenset(
    {
        "share", "facebook", "twitter", "x", "whatsapp", "linkedin", "email", "e-mail",
        "print", "reddit", "pinterest", "telegram", "messenger", "copy", "link", "comments",
        "tweet", "|", "·", "•", "-",
    }
)  # fmt: skip
_COOKIE_CONTEXT: Final = ("we use", "this site", "this website", "accept", "consent")


def is_boilerplate(line: str) -> bool:
    """True for a share, subscribe, cookie, credit or navigation line of a web page."""
    # Most lines are long paragraphs of copy: a count of spaces and a substring test (both C
    # loops) dismiss them without splitting into words.
    if line.count(" ") >= _MAX_WORDS and "ookie" not in line:
        return False
    lowered = line.strip().lower()
    if not lowered:
        return False
    words = lowered.split()
    if len(words) <= _MAX_WORDS:
        if lowered.startswith(_OPENINGS):
            return True
        # One word alone ("X", "Print") may be copy; a run of them, or "Share", is a share bar.
        if all(word in _SHARE_WORDS for word in words) and (len(words) > 1 or words[0] == "share"):
            return True
    return (
        "cookie" in lowered
        and len(words) <= _MAX_COOKIE_WORDS
        and any(context in lowered for context in _COOKIE_CONTEXT)
    )
