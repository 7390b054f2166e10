"""Event-cue features: which side of the CAMEO / PLOVER conflict-cooperation axis a sentence's
verbs and event nouns fall on, with reversal scope ("halted aid", "lift the ban", "would not
support") and the first cue of the sentence (news states its event right after the subject).

Reversal also works backwards for the passive forms headlines use ("sanctions lifted", "tariffs
suspended", "talks postponed"): a closing participle up to `CLOSING_SCOPE` tokens after a cue
reverses it.

Why: a bag of words lets the object of an event outvote its predicate ("demanded a truce",
"suspended military aid", "refused to renew sanctions" all read as cooperation to it). Pooling
the inflections of a few hundred hand-picked cue stems into four event classes, and marking
the ones under a reversal word, gives the linear models a compact signal that generalises
beyond the exact word forms seen in training.

The lexicon is written from the CAMEO 2.0 codebook's event families and PLOVER's root events:
verbal cooperation (02-05: appeal, intend, consult, diplomatic cooperation), material
cooperation (06-08: cooperate, aid, yield), verbal conflict (09-13: investigate, demand,
disapprove, reject, threaten) and material conflict (14-20: protest, posture, reduce relations,
coerce, assault, fight). Reporting verbs ("said", "announced") are deliberately absent. The
sentence corpora say little about economic coercion (tariffs, retaliation, duties, blacklists),
headline verbal conflict ("blasts", "chides", "summons"), domestic crackdowns and coups, or their
reversals ("waives sanctions", "tariffs suspended"): those stems come from CAMEO 16-17 (reduce
relations, coerce: embargo, boycott, sanctions, repression) and PLOVER SANCTION / COERCE, and give
the models an event class for words the training sentences rarely contain.

Everything here is whole-array work on the token ids `classifier.features` already has.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = [
    "CLOSING_SCOPE",
    "CUE_CLASSES",
    "CUE_LEXICON_SHA256",
    "N_CUE_FEATURES",
    "REVERSAL_SCOPE",
    "cue_matrix",
    "cue_tables",
    "word_forms",
]

CUE_CLASSES: Final = ("verbal_cooperation", "material_cooperation", "verbal_conflict",
                      "material_conflict")  # fmt: skip
# Columns: plain count per class, count per class under a reversal word, first cue's class
# (after reversal: a reversed cooperation cue counts as conflict and vice versa).
N_CUE_FEATURES: Final = 3 * len(CUE_CLASSES)
# A cue this many tokens or fewer after a reversal word is reversed ("halted economic aid").
REVERSAL_SCOPE: Final = 4
# A cue this many tokens or fewer before a closing participle is reversed ("sanctions on the
# bank were lifted": 5).
CLOSING_SCOPE: Final = 5


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_VERBAL_COOPERATION: Final = _words("""
agree accord accept appeal apologize apologise approve ask assure commend compromise
congratulate consult cooperate cooperation collaborate collaboration deal dialogue discuss
embrace endorse engage envoy forgive friendship goodwill greet hail help host hope invite
mediate mediation mediator meet meeting met negotiate negotiation negotiator offer optimism
optimistic pact partnership peace peaceful pledge praise promise propose proposal ready
reassure reconcile reconciliation recognize recognise rapprochement reconciliatory request
satisfied sign summit support talk thank treaty understanding urge visit welcome willing
detente thaw normalization normalisation
""")

_MATERIAL_COOPERATION: Final = _words("""
aid allow amnesty assist assistance ceasefire compensate compensation concede concession
demobilize demobilise disarm disarmament donate donation deliver delivery evacuate
extradite fund grant handover humanitarian invest investment lift loan normalize normalise
pardon pay permit provide reinstate relax release relief reopen repatriate resettle restore
resume shipment supply truce unfreeze withdrawal ease swap waiver exemption
""")

_VERBAL_CONFLICT: Final = _words("""
accuse accusation allege allegation blame charge complain complaint condemn condemnation
criticize criticise criticism decry demand denounce deny deplore dismiss disapprove dispute
indict inquiry insist investigate investigation must oppose opposition probe rebuff
rebuke refuse refusal reject rejection slam sue threat threaten ultimatum veto warn warning
blast chide scold berate lambast summon provoke provocation feud rift spat
""")

_MATERIAL_CONFLICT: Final = _words("""
abduct abduction airstrike ambush arrest assassinate assault attack ban battle blockade
bomb bombard bombing boycott capture clash combat confiscate crackdown curfew deport
detain detention demonstrate demonstration demonstrator embargo execute expel expulsion
explode explosion fight fighting gunfire gunman halt hijack hostage impose
invade invasion jail kidnap kill killing massacre militant militia missile mobilize
mobilise occupy offensive protester raid rally rebel recall riot rioter sanction seize
sever shell shelling shoot shooting siege sniper storm strike suspend suspension torture
troop violence wound
tariff retaliate retaliation retaliatory countermeasure blacklist
coup junta purge imprison censor censorship repress repression persecute persecution disperse
suppress oust overthrow topple
""")

# Forms that are cues without their stem: "duties" (tariffs) but not "duty" (on duty, duty-free).
_EXTRA_FORMS: Final = {"duties": 3, "teargas": 3}

# Words that reverse the cue after them: negation, failure, refusal, and the verbs that end,
# cut or undo a relation or an action ("suspend aid" is conflict, "lift sanctions" is not).
_REVERSAL: Final = _words("""
not no never without nor n't cannot fail refuse reject deny halt suspend cut end stop cancel
freeze lift ease drop scrap revoke abandon withdraw stall block prevent reduce avert
remove waive rescind repeal exempt pause postpone delay rollback
""")

# Past participles that reverse the cue before them: the passive headline ("sanctions lifted",
# "talks postponed"). Only unambiguous participle forms: "cut" or "set" would also be verbs.
_CLOSING: Final = frozenset(
    _words("""
lifted eased suspended scrapped removed dropped waived revoked rescinded repealed halted paused
postponed cancelled canceled ended
""")
)

_IRREGULAR: Final = {
    "met": "meet", "fought": "fight", "shot": "shoot", "struck": "strike", "froze": "freeze",
    "frozen": "freeze", "freed": "release", "wounded": "wound",
    "dont": "n't", "didnt": "n't", "doesnt": "n't", "wont": "n't", "isnt": "n't",
    "arent": "n't", "wasnt": "n't", "werent": "n't", "hasnt": "n't", "havent": "n't",
    "wouldnt": "n't", "couldnt": "n't", "shouldnt": "n't", "t": "n't", "cant": "n't",
}  # fmt: skip


def word_forms(stem: str) -> set[str]:
    """The stem and its regular inflections (plural / 3rd person, past, gerund)."""
    forms = {stem, stem + "s", stem + "es", stem + "ed", stem + "ing"}
    if stem.endswith("e"):
        forms |= {stem + "d", stem[:-1] + "ing"}
    if stem.endswith("y") and len(stem) > 2 and stem[-2] not in "aeiou":
        forms |= {stem[:-1] + "ies", stem[:-1] + "ied"}
    if (
        len(stem) >= 3
        and stem[-1] not in "aeiouwxy"
        and stem[-2] in "aeiou"
        and stem[-3] not in "aeiou"
        and len(stem) <= 4
    ):  # short consonant-vowel-consonant verbs double: ban -> banned, cut -> cutting
        forms |= {stem + stem[-1] + "ed", stem + stem[-1] + "ing"}
    return forms


def _table(stems: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for stem in stems:
        for form in word_forms(stem):
            out.setdefault(form, stem)
    return out


def _class_of() -> dict[str, int]:
    """Word form -> cue class; a form listed under two classes keeps the first."""
    out: dict[str, int] = {}
    lexicon = (_VERBAL_COOPERATION, _MATERIAL_COOPERATION, _VERBAL_CONFLICT, _MATERIAL_CONFLICT)
    for k, stems in enumerate(lexicon):
        for form in _table(stems):
            out.setdefault(form, k)
    for form, k in _EXTRA_FORMS.items():
        out.setdefault(form, k)
    return out


_CLASS_OF: Final = _class_of()
_REVERSAL_FORMS: Final = frozenset(_table(_REVERSAL))
_FLIP: Final = np.array([2, 3, 0, 1], dtype=np.int64)  # cooperation <-> conflict, same mode


def _lexicon_sha256() -> str:
    """A fingerprint of everything above that decides a cue column's value."""
    lexicon = {
        "classes": sorted(_CLASS_OF.items()),
        "reversal": sorted(_REVERSAL_FORMS),
        "closing": sorted(_CLOSING),
        "irregular": sorted(_IRREGULAR.items()),
        "scopes": [REVERSAL_SCOPE, CLOSING_SCOPE],
    }
    return hashlib.sha256(json.dumps(lexicon).encode("utf-8")).hexdigest()


# The cue tables are built from this module when a model is loaded, not stored in the model: a
# model fitted with one lexicon and served with another would read differently without a sign.
# Training records this fingerprint in metadata.json and loading refuses a model whose record
# differs (`classifier.artifact`).
CUE_LEXICON_SHA256: Final = _lexicon_sha256()


def cue_tables(
    words: Sequence[str],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per vocabulary word: its cue class (-1 none), whether it reverses what follows, and
    whether it reverses what precedes it (a closing participle)."""
    classes = np.full(len(words), -1, dtype=np.int8)
    reverses = np.zeros(len(words), dtype=bool)
    closes = np.zeros(len(words), dtype=bool)
    for i, word in enumerate(words):
        base = _IRREGULAR.get(word, word)
        classes[i] = _CLASS_OF.get(base, _CLASS_OF.get(word, -1))
        reverses[i] = base in _REVERSAL_FORMS or word in _REVERSAL_FORMS
        closes[i] = word in _CLOSING
    return classes, reverses, closes


def cue_matrix(
    ids: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    n_rows: int,
    classes: npt.NDArray[np.int8],
    reverses: npt.NDArray[np.bool_],
    closes: npt.NDArray[np.bool_],
) -> sp.csr_matrix:
    """(n_rows, N_CUE_FEATURES) counts from the token ids (-1 unknown) and row of each token."""
    known = ids >= 0
    cls = np.where(known, classes[np.maximum(ids, 0)], -1).astype(np.int64)
    rev = known & reverses[np.maximum(ids, 0)]
    close = known & closes[np.maximum(ids, 0)]
    pos = np.arange(len(ids), dtype=np.int64)
    last = np.maximum.accumulate(np.where(rev, pos, -1)) if len(ids) else pos
    # The reversal word itself is not in its own scope; the scope never crosses rows.
    prev = np.concatenate([[-1], last[:-1]]) if len(ids) else pos
    in_scope = (prev >= 0) & (pos - prev <= REVERSAL_SCOPE)
    in_scope &= rows[np.maximum(prev, 0)] == rows
    # The nearest closing participle strictly after each token, the same way backwards.
    end = len(ids)
    upcoming = np.minimum.accumulate(np.where(close, pos, end)[::-1])[::-1] if end else pos
    following = np.concatenate([upcoming[1:], [end]]) if end else pos
    closed = (following < end) & (following - pos <= CLOSING_SCOPE)
    closed &= rows[np.minimum(following, max(end - 1, 0))] == rows
    in_scope |= closed
    is_cue = cls >= 0
    n = len(CUE_CLASSES)
    col = np.where(in_scope, n + cls, cls)
    # First cue of each row, with its class reversed when it is in a reversal scope.
    cue_pos = np.flatnonzero(is_cue)
    cue_rows = rows[cue_pos]
    first = (
        cue_pos[np.concatenate([[True], cue_rows[1:] != cue_rows[:-1]])]
        if len(cue_pos)
        else cue_pos
    )
    first_cls = np.where(in_scope[first], _FLIP[cls[first]], cls[first])
    all_rows = np.concatenate([rows[is_cue], rows[first]])
    all_cols = np.concatenate([col[is_cue], 2 * n + first_cls])
    data = np.ones(len(all_cols), dtype=np.float64)
    matrix = sp.csr_matrix((data, (all_rows, all_cols)), shape=(n_rows, N_CUE_FEATURES))
    matrix.sum_duplicates()
    return matrix
