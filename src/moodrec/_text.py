"""Normalising and analysing text: English and Hangul.

The same analyser turns catalog text into index terms and a user's query into
tokens, so that both sides agree on what a "word" is.  It differs from
scikit-learn's default ``token_pattern`` in three ways that matter for this
catalog:

* one-syllable Korean words (술 "alcohol", 비 "rain", 밤 "night") are words;
* Korean particles are split off (이별을, 이별이 -> 이별), and the whole word is
  kept as well, so a word that merely ends like a particle is not lost;
* English words get a light, deterministic suffix stemmer (tears -> tear,
  crying -> cry, loneliness -> lonely) and a stop list of function words only,
  so that "alone", "never", "again" or "empty" still count.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "Analyzer", "Token", "normalize", "joined_words", "TEXT_BREAK", "load_resource", "load_words", "ANALYZER_VERSION",
]

#: Bumped whenever the analyser would turn the same text into different terms.
#: A saved model records it: its vocabulary is only valid for the same version.
ANALYZER_VERSION = 3

# Word characters, allowing inner apostrophes (don't, she's).
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Runs of Hangul (syllables and compatibility jamo) versus everything else.
_SCRIPT_RE = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]+|[^\uac00-\ud7a3\u3131-\u318e]+")
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_VOWELS = frozenset("aeiouy")
# clause breaks: punctuation, brackets and a dash between words ("not a
# ballad - something with energy"), not the hyphen inside one (mid-tempo)
_CLAUSE_RE = re.compile(r"[.,;:!?\n()\[\]]+|\s[-\u2013\u2014]+\s|[\u2013\u2014]+")
_STRETCHED_RE = re.compile(r"([a-z])\1{2,}")
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")

#: Stands between two texts in the word stream of :func:`joined_words`.
TEXT_BREAK = "\x00"
_WORD_OR_BREAK_RE = re.compile(_WORD_RE.pattern + "|" + TEXT_BREAK)
# ASCII letters lower-cased, backtick made an apostrophe (as `normalize` does)
# and every other character that cannot be in a word made a space.
_ASCII_TO_WORDS = str.maketrans(
    {chr(i): (chr(i).lower() if chr(i).isalnum() else " ") for i in range(128) if chr(i) not in "'" + TEXT_BREAK}
    | {"`": "'"}
)
# An apostrophe that is not between two letters or digits ends a word.
_LOOSE_APOSTROPHE_RE = re.compile(r"'(?:(?![a-z0-9])|(?<![a-z0-9]'))")


def load_resource(name: str) -> Any:
    """Load a JSON resource shipped in ``moodrec/data``."""
    path = resources.files("moodrec").joinpath("data").joinpath(name)
    return json.loads(path.read_text(encoding="utf-8"))


def load_words(name: str) -> list[str]:
    path = resources.files("moodrec").joinpath("data").joinpath(name)
    lines = path.read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


def normalize(text: str) -> str:
    """Unicode-normalise (NFKC), case-fold and unify apostrophes.

    >>> normalize("ＬＯＮＥＬＹ Night’s")
    "lonely night's"
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text.replace("`", "'") if "`" in text else text
    return text.translate(_APOSTROPHES)


def joined_words(texts: list[str]) -> list[str] | None:
    """The words of many texts in one pass, :data:`TEXT_BREAK` between texts.

    The same words, in the same order, as ``Analyzer.raw_words(text,
    merge=False)`` on each text; a catalog is analysed this way because one
    pass over a chunk's text costs far less than a call per text.  None when a
    text holds :data:`TEXT_BREAK` itself (the caller then goes text by text).

    >>> joined_words(["Rainy NIGHT", "", "don't cry"])
    ['rainy', 'night', '\\x00', '\\x00', "don't", 'cry']
    """
    if not texts:
        return []
    if all(map(str.isascii, texts)):
        text = f" {TEXT_BREAK} ".join(texts)
        if text.count(TEXT_BREAK) != len(texts) - 1:
            return None
        # Lower-cased, with everything outside a word made a space, the words
        # are what is left between spaces: str.split is far cheaper than a
        # regular expression that returns the same words.
        text = text.translate(_ASCII_TO_WORDS)
        if "'" in text:
            text = _LOOSE_APOSTROPHE_RE.sub(" ", text)
        return text.split()
    text = TEXT_BREAK.join(texts)
    if text.count(TEXT_BREAK) != len(texts) - 1:
        return None
    # NFKC and case folding act on each text alone: U+0000 composes with
    # nothing and folding is per character.
    text = unicodedata.normalize("NFKC", text).casefold()
    for quote in _APOSTROPHES:
        if chr(quote) in text:
            text = text.replace(chr(quote), "'")
    return _WORD_OR_BREAK_RE.findall(text)


def is_hangul(word: str) -> bool:
    """True when ``word`` contains a Hangul syllable."""
    return _HANGUL_RE.search(word) is not None


@dataclass(frozen=True)
class Token:
    """One word of a query, as the query analyser sees it.

    ``surface`` is the normalised word as typed, ``key`` its stem for
    matching lexicon phrases (stop words too), ``terms`` the index terms it
    stands for (empty for a stop word), ``hangul`` tells the script and
    ``clause`` counts the clause (punctuation-separated part) it sits in.
    """

    surface: str
    key: str
    terms: tuple[str, ...]
    hangul: bool
    stop: bool
    clause: int


class Analyzer:
    """Turns text into index terms; the one place where words are defined.

    Parameters
    ----------
    language : dict, optional
        The language resources (stop words, particles, informal spellings);
        the bundled ``language.json`` when omitted.

    Examples
    --------
    >>> a = Analyzer()
    >>> a.terms("Drinking alone on a lonely night")
    ['drink', 'alon', 'lonely', 'night']
    >>> a.terms("이별을 했다, 술 한 잔")
    ['이별을', '이별', '했다', '술', '한', '잔']
    """

    def __init__(self, language: dict[str, Any] | None = None, common_words: list[str] | None = None) -> None:
        lang = language if language is not None else load_resource("language.json")
        #: the language resources in use (saved with a model)
        self.language = lang
        self._stop_en = frozenset(lang["stopwords_en"])
        self._stop_ko = frozenset(lang["stopwords_ko"])
        self.negators_en = frozenset(lang["negators_en"])
        self.negation_breaks_en = frozenset(lang["negation_breaks_en"])
        # How far a negation reaches (read from the resource, so a model saved
        # before these rules keeps reading queries as it was fitted): negators
        # that reach one word ("can't sleep, thinking of you"), words after
        # which the rest is affirmed ("can't stop crying") and attempts that
        # say the feeling is there ("trying not to cry").
        self.negators_one_word_en = frozenset(lang.get("negators_one_word_en", ()))
        self.negation_undone_en = frozenset(lang.get("negation_undone_en", ()))
        self.negation_attempts_en = frozenset(lang.get("negation_attempts_en", ()))
        self.negators_ko_before = frozenset(lang["negators_ko_before"])
        self.negators_ko_after = tuple(lang["negators_ko_after"])
        # Longest particle first, so 에서 wins over 에.
        self._particles = tuple(sorted(lang["particles_ko"], key=len, reverse=True))
        self._particle_set = frozenset(self._particles)
        # Words whose last syllable only looks like a particle (사랑, 아이,
        # 위로): never split.  Read from the resource, so a model saved
        # before the list existed keeps analysing as it was fitted.
        self._whole_ko = frozenset(lang.get("whole_words_ko", ()))
        self._informal = {k: tuple(v.split()) for k, v in lang["informal_en"].items()}
        self._unstemmed = frozenset(lang["unstemmed_en"])
        # Spoken spellings as rules, not a list: a dropped g (thinkin, waitin)
        # and stretched letters (sooo, sleeep).  Read from the resource so a
        # model saved before the rules existed keeps analysing as it was fitted.
        rules = lang.get("informal_rules_en", {})
        self._g_dropping = bool(rules.get("g_dropping", False))
        self._elongation = bool(rules.get("elongation", False))
        self._respellings = tuple((str(a), str(b)) for a, b in lang.get("respellings_en", []))
        # Multi-word synonyms written as one word ("by myself" -> alone,
        # "j-pop" -> jpop), so a blurb and a query that phrase a feeling
        # differently still meet.  Merged on word lists, after splitting.
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for k, v in lang.get("phrases_en", {}).items():
            parts = tuple(_WORD_RE.findall(normalize(k)))
            if len(parts) < 2:
                raise ValueError(f"phrases_en keys must be two words or more, got {k!r}")
            self._phrases.setdefault(parts[0], []).append((parts, v))
        # informal spellings of a phrase's words make the phrase too
        # ("brokn heart" -> heartbroken)
        variants: dict[str, list[str]] = {}
        for k, v in lang["informal_en"].items():
            if " " not in v.strip():
                variants.setdefault(v.strip(), []).append(k)
        for first in list(self._phrases):
            for parts, joined in list(self._phrases[first]):
                for i, w in enumerate(parts):
                    for alt in variants.get(w, ()):
                        alt_parts = parts[:i] + (alt,) + parts[i + 1 :]
                        self._phrases.setdefault(alt_parts[0], []).append((alt_parts, joined))
        for options in self._phrases.values():
            options.sort(key=lambda o: -len(o[0]))
        self._phrase_first = frozenset(self._phrases)
        # What a blurb says a song is not ("rather than tears", "there is no
        # anger here") describes its opposite: drop_contrasts leaves it out.
        self._contrast, self._contrast_hints = self._contrast_pattern(lang.get("contrast_en", {}))
        # Per-instance memo: catalogs repeat words far more than they add new
        # ones, so each distinct surface form is analysed once.
        self._word_terms = lru_cache(maxsize=1 << 18)(self._word_terms_uncached)
        #: Real English words: never "corrected" by the spelling tolerance.
        self.common_words = frozenset(common_words if common_words is not None else load_words("common_words_en.txt"))
        self._raw_cache: dict[str, tuple[str, ...]] = {}
        self._token_cache: dict[str, tuple[tuple[str, str, tuple[str, ...], bool, bool], ...]] = {}
        #: tone words and phrases as word-key tuples (by key or Korean stem) ->
        #: the direction they ask for; a phrase is matched whole ("feel-good"
        #: is feel + good: "feel" alone asks for nothing)
        self.tone: dict[tuple[str, ...], float] = {}
        for w, v in lang.get("tone_words", {}).items():
            keys = tuple(self.match_key(part) for part in self.merge_phrases(_WORD_RE.findall(normalize(w))))
            if keys:
                self.tone[keys] = float(v)
        #: genre variants as word-key tuples -> the genre's term ("j pop" -> jpop)
        self.genres: dict[tuple[str, ...], str] = {}
        for genre, forms in lang.get("genres", {}).items():
            for form in [genre, *forms]:
                keys = tuple(self.match_key(w)
                             for w in self.merge_phrases(_WORD_RE.findall(normalize(form))))
                if keys:
                    self.genres.setdefault(keys, genre)

    def _contrast_pattern(self, spec: dict[str, Any]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
        markers = [str(m) for m in spec.get("markers", [])]
        frames = [(str(a), str(b)) for a, b in spec.get("frames", [])]
        if not markers and not frames:
            return None, ()
        n = int(spec.get("max_words", 5))

        def phrase(p: str) -> str:
            return r"\s+".join(re.escape(w).replace("'", "['\u2019]") for w in p.split())

        word = r"[^\s.,;:!?()\"]+"
        breaks = "|".join(re.escape(b) for b in sorted(self.negation_breaks_en))
        alternatives = []
        if markers:
            heads = "|".join(phrase(m) for m in sorted(markers, key=len, reverse=True))
            alternatives.append(rf"\b(?:{heads})\b(?:\s+(?!(?:{breaks})\b){word}){{1,{n}}}")
        for start, end in frames:
            alternatives.append(rf"\b{phrase(start)}(?:\s+{word}){{1,{max(n - 1, 1)}}}?\s+{phrase(end)}\b")
        # a cheap first look: the text has a marker, its first letter in either
        # case (a text in other cases is looked at again lower-cased)
        hints = {p[1:].lower() for p in markers + [a for a, _ in frames]}
        hints |= {h.replace("'", "\u2019") for h in hints}
        # a hint that holds another is found whenever that one is
        hints = {h for h in hints if not any(o != h and o in h for o in hints)}
        return re.compile("|".join(alternatives), re.IGNORECASE), tuple(sorted(hints))

    def drop_contrasts(self, text: str) -> str:
        """``text`` without what it says a song is not.

        Curators write "rather than tears", "not a ballad", "there is no anger
        here": those words name the song's opposite, so a blurb is indexed
        without them (markers from ``language.json``).

        >>> Analyzer().drop_contrasts("Warm and glowing rather than tearful. There is no anger here, only calm.")
        'Warm and glowing  .  , only calm.'
        """
        if self._contrast is None:
            return text
        hints = self._contrast_hints
        if not any(h in text for h in hints):
            # "Rather Than", "NOT A": the markers in any case (most blurbs
            # have a marker's lower-case form or none at all)
            folded = text.lower()
            if folded == text or not any(h in folded for h in hints):
                return text
        return self._contrast.sub(" ", text)

    # ------------------------------------------------------------------ words
    def stem(self, word: str) -> str:
        """Light English suffix stemmer (deterministic, conservative).

        >>> Analyzer().stem("memories"), Analyzer().stem("crying"), Analyzer().stem("sadness")
        ('memory', 'cry', 'sad')
        """
        w = word
        if len(w) <= 3 or w in self._unstemmed or not w.isascii():
            return w
        if w.endswith("'s"):
            w = w[:-2]
        if w.endswith("iness") and len(w) > 6:
            return w[:-5] + "y"
        if w.endswith("ness") and len(w) > 6:
            w = w[:-4]
            return self._undouble(w)
        if w.endswith("ies") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith("ied") and len(w) > 4:
            return w[:-3] + "y"
        if w.endswith("sses"):
            return w[:-2]
        if w.endswith("s") and not w.endswith(("ss", "us", "is", "'s")) and len(w) > 3:
            w = w[:-1]
            if w.endswith("e") and not w.endswith(("ee", "ye", "ie", "ue")) and len(w) > 3:
                return self._final_e(w[:-1])
            return w
        if w.endswith("ing") and len(w) > 5 and _VOWELS.intersection(w[:-3]):
            return self._restore_e(w[:-3])
        if w.endswith("ed") and not w.endswith("eed") and len(w) > 4 and _VOWELS.intersection(w[:-2]):
            return self._restore_e(w[:-2])
        if w.endswith("e") and not w.endswith(("ee", "ye", "ie", "ue")):
            # A base word ending in a silent e takes the form its -ing / -ed
            # forms are given back (propose, proposing, proposed -> propos;
            # love, loving -> love), so all of them meet.
            return self._final_e(w[:-1])
        return w

    def _restore_e(self, stem: str) -> str:
        """Undo a suffix cut the way English spells the base word:
        running -> run, loving -> love, dancing -> dance, tired -> tire."""
        undoubled = self._undouble(stem)
        if undoubled != stem:
            return undoubled
        return self._final_e(stem)

    @staticmethod
    def _final_e(stem: str) -> str:
        if stem.endswith(("v", "z")) or (len(stem) > 2 and stem[-1] == "c" and stem[-2] in "nr"):
            return stem + "e"
        # one short vowel between consonants at the end (hop, smil, mak): hope, smile, make
        groups = re.findall(r"[aeiou]+", stem)
        if (
            len(groups) == 1
            and len(stem) >= 3
            and stem[-1] not in "aeiouwxy"
            and stem[-2] in "aeiou"
            and stem[-3] not in "aeiou"
        ):
            return stem + "e"
        return stem

    @staticmethod
    def _undouble(w: str) -> str:
        if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1] not in _VOWELS:
            return w[:-1]
        return w

    def strip_particle(self, word: str) -> str:
        """Split a trailing Korean particle off ``word`` (이별을 -> 이별).

        Words of one syllable are left whole: 비, 밤 and 술 are nouns; so are
        the words of ``whole_words_ko`` in ``language.json``, whose last
        syllable only looks like a particle (사랑 is love, not 사 with 랑).

        >>> a = Analyzer()
        >>> a.strip_particle("이별을"), a.strip_particle("사랑을"), a.strip_particle("사랑")
        ('이별', '사랑', '사랑')
        """
        if len(word) < 2 or word in self._whole_ko:
            return word
        for p in self._particles:
            if word.endswith(p) and len(word) - len(p) >= 1:
                return word[: -len(p)]
        return word

    def is_common_word(self, word: str) -> bool:
        """True for a real English word, inflected or not (finalized, hopes).

        >>> Analyzer().is_common_word("shattered"), Analyzer().is_common_word("hartache")
        (True, False)
        """
        if word in self.common_words:
            return True
        for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
                             ("es", ""), ("s", ""), ("d", ""), ("ly", ""), ("er", ""), ("est", "")):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                if word[: -len(suffix)] + repl in self.common_words:
                    return True
        return False

    def key(self, word: str) -> str:
        """The matching key of one normalised word: its stem, stop words
        included (the lexicon matches phrases such as "left me" on keys).

        >>> Analyzer().key("can't"), Analyzer().key("tears"), Analyzer().key("이별을")
        ('cant', 'tear', '이별을')
        """
        if is_hangul(word):
            return word
        if word.endswith("'s"):
            word = word[:-2]
        return self.stem(word.replace("'", ""))

    def match_key(self, word: str) -> str:
        """The key a word is looked up by in the genre and tone tables: a Korean
        word without its particle, any other word's ``key``.

        >>> Analyzer().match_key("트로트를"), Analyzer().match_key("ballads")
        ('트로트', 'ballad')
        """
        return self.strip_particle(word) if is_hangul(word) else self.key(word)

    def expand_informal(self, word: str) -> tuple[str, ...]:
        """Informal spellings written out (gf -> girlfriend, nite -> night,
        thinkin -> thinking, sooo -> so).

        >>> a = Analyzer()
        >>> a.expand_informal("gf"), a.expand_informal("waitin"), a.expand_informal("sleeeep")
        (('girlfriend',), ('waiting',), ('sleep',))
        >>> a.expand_informal("cabin"), a.expand_informal("coffee")
        (('cabin',), ('coffee',))
        """
        found = self._informal.get(word)
        if found is not None:
            return found
        if not word.isascii() or not word.isalpha() or word in self.common_words:
            return (word,)
        if self._elongation and _STRETCHED_RE.search(word):
            # three or more of a letter: try two (sleeep -> sleep), then one (sooo -> so)
            for w in (_STRETCHED_RE.sub(r"\1\1", word), _STRETCHED_RE.sub(r"\1", word)):
                if w in self._informal:
                    return self._informal[w]
                if self.is_common_word(w):
                    return (w,)
        if self._g_dropping and word.endswith("in") and len(word) >= 5 and word + "g" in self.common_words:
            return (word + "g",)
        return (word,)

    def respellings(self, word: str) -> list[str]:
        """Sound-alike rewrites of ``word``, one rule at one place each, in rule order.

        >>> Analyzer().respellings("fone"), Analyzer().respellings("motivashun")[:2]
        (['phone'], ['motivation', 'motivasion'])
        """
        out: list[str] = []
        for a, b in self._respellings:
            start = word.find(a)
            while start >= 0:
                out.append(word[:start] + b + word[start + len(a):])
                start = word.find(a, start + 1)
        return list(dict.fromkeys(out))

    def _word_terms_uncached(self, word: str) -> tuple[tuple[str, ...], bool, bool]:
        """Index terms for one normalised word, with (is_hangul, is_stop)."""
        if is_hangul(word):
            if word in self._stop_ko:
                return (), True, True
            stem = self.strip_particle(word)
            if stem in self._stop_ko:
                return (), True, True
            return ((word, stem) if stem != word else (word,)), True, False
        terms = []
        for w in self.expand_informal(word):
            if w in self._stop_en or w.replace("'", "") in self._stop_en:
                continue
            terms.append(self.key(w))
        return tuple(t for t in terms if t), False, not terms

    def _split_scripts(self, word: str) -> list[str]:
        """Split a mixed-script word (BTS의 -> BTS); a particle glued to a
        Latin word is dropped, since it is grammar, not content."""
        if word.isascii():
            return [word]
        runs = _SCRIPT_RE.findall(word)
        return [r for i, r in enumerate(runs) if not (i and r in self._particle_set)]

    def merge_phrases(self, words: list[str]) -> list[str]:
        """Join multi-word synonyms into one word (``["by", "myself"]`` -> ``["alone"]``)."""
        if self._phrase_first.isdisjoint(words):
            return words
        out: list[str] = []
        i = 0
        n = len(words)
        while i < n:
            for parts, joined in self._phrases.get(words[i], ()):
                if tuple(words[i : i + len(parts)]) == parts:
                    out.append(joined)
                    i += len(parts)
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def raw_words(self, text: str, merge: bool = True) -> list[str]:
        """Normalised words of ``text`` before script splitting (fast path).

        ``merge=False`` leaves multi-word synonyms apart, for callers that
        merge them in bulk (see :meth:`phrase_table`).
        """
        text = normalize(text)
        found = _ASCII_WORD_RE.findall(text) if text.isascii() else _WORD_RE.findall(text)
        return self.merge_phrases(found) if merge else found

    def clause_words(self, text: str, breaks: re.Pattern[str]) -> list[list[str]]:
        """``[raw_words(part) for part in breaks.split(text)]``, normalising an
        ASCII text once instead of clause by clause (lower-casing it makes
        or removes no break).

        >>> Analyzer().clause_words("Drinking alone. By myself, again", re.compile(r"[.,]+"))
        [['drinking', 'alone'], ['alone'], ['again']]
        """
        if text.isascii():
            low = normalize(text)
            return [self.merge_phrases(_ASCII_WORD_RE.findall(part)) for part in breaks.split(low)]
        return [self.raw_words(part) for part in breaks.split(text)]

    def phrase_table(self) -> list[tuple[tuple[str, ...], str]]:
        """The multi-word synonyms, longest first: ((words...), joined word)."""
        table = [opt for options in self._phrases.values() for opt in options]
        return sorted(table, key=lambda o: -len(o[0]))

    def word_terms(self, word: str) -> tuple[str, ...]:
        """Index terms of one word from :meth:`raw_words` (memoised)."""
        got = self._raw_cache.get(word)
        if got is None:
            out: list[str] = []
            for part in self._split_scripts(word):
                out.extend(self._word_terms(part)[0])
            got = tuple(out)
            if len(self._raw_cache) < 1 << 20:
                self._raw_cache[word] = got
        return got

    def words(self, text: str) -> list[str]:
        """Normalised words of ``text``, Korean split from other scripts."""
        out: list[str] = []
        for w in self.raw_words(text):
            out.extend(self._split_scripts(w))
        return out

    # ----------------------------------------------------------------- public
    def terms(self, text: str) -> list[str]:
        """Index terms of a text, in order (stop words removed)."""
        out: list[str] = []
        for w in self.words(text):
            out.extend(self._word_terms(w)[0])
        return out

    def term_of(self, word: str) -> str | None:
        """The main index term of a single word (None for a stop word)."""
        words = self.words(word)
        if len(words) != 1:
            return None
        terms = self._word_terms(words[0])[0]
        return terms[-1] if terms else None

    def tokens(self, text: str) -> list[Token]:
        """Tokens of a query, with clause numbers for negation scope.

        Informal spellings are written out first (``bff`` gives two tokens).
        """
        out: list[Token] = []
        for clause, chunk in enumerate(_CLAUSE_RE.split(text)):
            for word in self.raw_words(chunk):
                for w, key, terms, hangul, stop in self._token_parts(word):
                    out.append(Token(w, key, terms, hangul, stop, clause))
        return out

    def _token_parts(self, word: str) -> tuple[tuple[str, str, tuple[str, ...], bool, bool], ...]:
        parts = self._token_cache.get(word)
        if parts is None:
            found = []
            for part in self._split_scripts(word):
                subwords = (part,) if is_hangul(part) else self.expand_informal(part)
                for w in subwords:
                    terms, hangul, stop = self._word_terms(w)
                    found.append((w, self.key(w), terms, hangul, stop))
            parts = tuple(found)
            if len(self._token_cache) < 1 << 18:
                self._token_cache[word] = parts
        return parts
