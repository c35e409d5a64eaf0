"""Word associations: learned from example songs, used at query time, saved with a model."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

import moodrec
import moodrec._recommender as recommender_module
from moodrec import Recommender
from moodrec._associations import Associations, build_table
from moodrec._text import Analyzer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_associations

EXAMPLES = [
    {"blurb": "A friend he secretly loves, smiling beside her.", "queries": ["she sees me as a sidekick"]},
    {"blurb": "Secretly in love with a friend from school.", "queries": ["just her sidekick", "friend zone"]},
    {"blurb": "A rainy walk home alone.", "queries": ["rain", "walking home"]},
    {"blurb": "A rainy night by the window.", "queries": ["rain at night"]},
]


def test_a_query_word_goes_with_the_blurb_words_of_its_songs() -> None:
    table, display = build_table(EXAMPLES, Analyzer())
    a = Analyzer()
    side, friend, secret, love, rain = (a.term_of(w) for w in ("sidekick", "friend", "secretly", "loves", "rainy"))
    # in both blurbs of the songs "sidekick" is said for: a tie, in order of name
    assert [b for b, _ in table[side]][:3] == sorted([friend, secret, love])
    # p = 2 / (2 + 1) of the songs whose queries say "sidekick"; those words are in 2 of 4 blurbs;
    # "sidekick" is in the queries of 2 of 4 songs
    p = 2 / 3
    assert dict(table[side])[friend] == pytest.approx(round(p * math.log(p / (2 / 4)) * math.log(4 / 2), 4))
    assert rain not in dict(table[side])
    # a word in one song's queries only is too rare to learn from
    assert a.term_of("zone") not in table
    assert display[secret] == "secretly"
    # the same examples give the same table
    assert build_table(EXAMPLES, Analyzer()) == (table, display)


def _catalog() -> pd.DataFrame:
    return pd.DataFrame({
        "song_id": ["friend", "rain", "party"],
        "title": ["Beside Her", "Window", "Floor"],
        "artist": ["A", "B", "C"],
        "blurb": ["A friend he secretly loves, smiling beside her every day.",
                  "A rainy night by the window, alone.",
                  "A bright dance track for a night out."],
    })


@pytest.fixture
def learned(monkeypatch: pytest.MonkeyPatch) -> Recommender:
    table, display = build_table(EXAMPLES, Analyzer())
    monkeypatch.setattr(recommender_module, "Associations", lambda: Associations(table, display))
    # the learned similarity (trained on the shipped examples) set aside: only these associations
    return Recommender(learned_weight=0.0).fit(_catalog())


def test_a_word_no_blurb_uses_finds_songs_through_its_associations(learned: Recommender) -> None:
    assert "sidekick" not in learned.vocabulary_
    recs = learned.recommend("my sidekick", k=3)
    assert recs[0].song_id == "friend"
    why = [r for r in recs[0].reasons if r.kind == "association"]
    assert why and why[0].label == "sidekick" and "friend" in why[0].words
    a = Analyzer()  # each word shown stands for a word of the song ("smile" for "smiling")
    assert {a.term_of(w) for w in why[0].words} <= set(a.terms(_catalog().blurb[0]))
    assert '"sidekick" goes with' in recs[0].why
    off = learned.set_params(association_weight=0.0).recommend("my sidekick", k=3)
    assert "friend" not in off.song_ids


def test_associations_keep_to_a_budget_of_postings(learned: Recommender, monkeypatch: pytest.MonkeyPatch) -> None:
    """Strongest first, each while its column fits what is left: at scale a
    word in a large share of the songs is left out, never the catalog's rare ones."""
    plan = learned.analyze("my sidekick")
    words = [learned.terms_[t] for t, (kind, _) in zip(plan.terms, plan.sources) if kind == "association"]
    lengths = {t: int(learned.index_.indptr[learned.vocabulary_[t] + 1] - learned.index_.indptr[learned.vocabulary_[t]])
               for t in words}
    assert len(words) >= 2
    # a budget one posting short of them all: some word is left out, the rest fit it
    budget = sum(lengths.values()) - 1
    monkeypatch.setattr(recommender_module, "_ASSOCIATION_POSTINGS", budget)
    again = learned.analyze("my sidekick")
    kept = [learned.terms_[t] for t, (kind, _) in zip(again.terms, again.sources) if kind == "association"]
    assert kept and set(kept) < set(words) and sum(lengths[t] for t in kept) <= budget
    monkeypatch.setattr(recommender_module, "_ASSOCIATION_POSTINGS", 0)
    assert not any(kind == "association" for kind, _ in learned.analyze("my sidekick").sources)


def test_a_negated_word_brings_no_associations(learned: Recommender) -> None:
    plan = learned.analyze("not my sidekick")
    assert not any(kind == "association" for kind, _ in plan.sources)
    assert any(kind == "association" for kind, _ in learned.analyze("my sidekick").sources)


def test_associations_are_saved_with_the_model(learned: Recommender, tmp_path: Path) -> None:
    learned.save(tmp_path / "m")
    back = moodrec.Recommender.load(tmp_path / "m")
    assert back.associations_.table == learned.associations_.table
    q = "my sidekick"
    assert back.recommend(q, k=3).to_dicts() == learned.recommend(q, k=3).to_dicts()


def test_a_model_saved_without_associations_ranks_as_it_did(learned: Recommender, tmp_path: Path) -> None:
    folder = learned.save(tmp_path / "m")
    manifest = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    del manifest["files"]["resources/associations.json"]
    (folder / "resources" / "associations.json").unlink()
    (folder / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = moodrec.Recommender.load(folder)
    assert len(old.associations_) == 0
    q = "my sidekick"
    plain = Recommender(association_weight=0.0, learned_weight=0.0).fit(_catalog())
    assert old.recommend(q, k=3).to_dicts() == plain.recommend(q, k=3).to_dicts()


def test_association_weight_is_checked() -> None:
    with pytest.raises(ValueError, match="association_weight"):
        Recommender(association_weight=-1.0).fit(_catalog())


# --------------------------------------------------------------------- the shipped data
def test_the_shipped_table_is_built_from_the_examples() -> None:
    assert build_associations.main(["--check"]) == 0


def test_examples_are_ours_and_not_the_evaluation() -> None:
    """Invented songs only: no catalog song, and no judged query among their queries."""
    examples = build_associations.load_examples()
    assert len(examples) >= 1000
    assert len({e["id"] for e in examples}) == len(examples)
    catalog = moodrec.load_songs()
    norm = lambda s: re.sub(r"\s+", " ", str(s).casefold().strip())
    blurbs = {norm(b) for b in catalog["blurb"]}
    artists = {norm(a) for a in catalog["artist"]}
    judged = {norm(q) for q in pd.read_csv(ROOT / "benchmarks" / "data" / "queries.csv")["query"]}
    for e in examples:
        assert e["queries"] and all(isinstance(q, str) and q.strip() for q in e["queries"]), e["id"]
        assert norm(e["blurb"]) not in blurbs, e["id"]
        assert norm(e["artist"]) not in artists, e["id"]
        assert not {norm(q) for q in e["queries"]} & judged, e["id"]
