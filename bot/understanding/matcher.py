"""Degraded mode: an in-process matcher over the same example questions Rasa learns from.

Character n-gram TF-IDF vectors (n = 3 and 4 within words, like Rasa's char_wb) compared by cosine.
Character n-grams cope with typos, inflection and compound words in every script without a
tokenizer or a model. An intent's score mixes two views, which measured better together than
either alone (nlu/README.md): the mean similarity of its NEIGHBOURS most similar examples, and the
similarity to the intent's centroid (all its examples in all languages, so shared German words such
as "Jobcenter" or "Anmeldung" count across languages). Inverted indexes keep a lookup to the few
examples and intents that share n-grams with the question.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from bot.understanding.model import Understanding
from bot.understanding.text import normalise
from bot.understanding.training import Example

NGRAM_SIZES = (3, 4)  # 5-grams added 30 % build time and no accuracy (nlu/README.md)
NEIGHBOURS = 4
CENTROID_SHARE = 0.5
# The neighbour search leaves out n-grams found in more than this share of the examples (" de",
# "en ", " ch"): they are in most questions and say little about any one, yet made up two thirds
# of the lookups. Measured on the held-out split: top-1 81.8 -> 83.0 %, wrong answers 6.3 -> 5.7 %,
# a third faster (nlu/README.md, step 9). The centroids keep every n-gram.
COMMON_GRAM_SHARE = 0.02
MIN_COMMON_GRAM_COUNT = 50  # a small example set (a test's) keeps every n-gram
# Similarities are turned into confidences with a softmax over all intents, like Rasa's: a clear
# winner gets close to 1, a tie or a question that resembles nothing gets little. The temperature
# was tuned on the held-out split (nlu/README.md).
TEMPERATURE = 0.03

Vector = dict[str, float]


def features(text: str) -> Counter[str]:
    """Character n-grams of each word, padded with spaces so word starts and ends stand out."""
    grams: list[str] = []
    for word in normalise(text).split():
        padded = f" {word} "
        length = len(padded)
        for size in NGRAM_SIZES:
            grams.extend(padded[start : start + size] for start in range(max(1, length - size + 1)))
    return Counter(grams)


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
    return {gram: weight / norm for gram, weight in vector.items()}


class Matcher:
    """Builds in well under a second for the whole content base; answers in a few milliseconds."""

    def __init__(
        self,
        examples: Sequence[Example],
        *,
        topic_ids: frozenset[str],
        find_place: Callable[[str], str | None] = lambda text: None,
    ) -> None:
        self.topic_ids = topic_ids
        self.find_place = find_place
        # Two passes over the examples (document frequencies, then vectors) instead of keeping every
        # example's n-grams in between, and postings appended straight into typed arrays: the
        # transient peak of building stayed in the process's memory for good (~70 MB of ~190 MB).
        document_frequency: Counter[str] = Counter()
        for example in examples:
            document_frequency.update(features(example.plain_text).keys())
        total = len(examples) + 1
        common_from = max(COMMON_GRAM_SHARE * len(examples), MIN_COMMON_GRAM_COUNT)
        common = {gram for gram, count in document_frequency.items() if count > common_from}
        self.idf = {gram: math.log(total / (count + 1)) + 1.0 for gram, count in document_frequency.items()}

        self.intent_of: list[str] = [example.intent for example in examples]
        self.intents = sorted(set(self.intent_of))
        # Plain loops with local names: this runs over every n-gram of every example at each
        # content reload, and must stay well under a second. One intent at a time, so that only one
        # centroid is being summed at once: all of them together (some 57,000 n-grams for each of
        # about 65 intents) were a transient peak of ~70 MB that stayed in the process for good.
        self.example_index: dict[str, tuple[array[int], array[float]]] = {}
        # Per n-gram, the intents (as indexes into self.intents) whose centroid has it, and its
        # weight there: typed arrays like the example postings, a third of the memory of a list of
        # (intent, weight) tuples (~217,000 pairs for the content base).
        self.centroid_index: dict[str, tuple[array[int], array[float]]] = {}
        numbers_of: dict[str, list[int]] = defaultdict(list)
        for number, intent in enumerate(self.intent_of):
            numbers_of[intent].append(number)
        for intent_number, intent in enumerate(self.intents):
            centroid: dict[str, float] = defaultdict(float)
            for number in numbers_of[intent]:
                for gram, weight in self._vector(features(examples[number].plain_text)).items():
                    centroid[gram] += weight
                    if gram in common:
                        continue
                    postings = self.example_index.get(gram)
                    if postings is None:
                        postings = self.example_index[gram] = (array("i"), array("d"))
                    postings[0].append(number)
                    postings[1].append(weight)
            for gram, weight in _unit(centroid).items():
                postings = self.centroid_index.get(gram)
                if postings is None:
                    postings = self.centroid_index[gram] = (array("i"), array("d"))
                postings[0].append(intent_number)
                postings[1].append(weight)

    def _vector(self, grams: Counter[str]) -> Vector:
        idf = self.idf
        return _unit(
            {
                gram: (idf[gram] if count == 1 else (1.0 + math.log(count)) * idf[gram])
                for gram, count in grams.items()
                if gram in idf
            }
        )

    def scores(self, text: str) -> dict[str, float]:
        """Every intent that shares an n-gram with `text`, with its score in 0..1."""
        query = self._vector(features(text))
        by_example: dict[int, float] = defaultdict(float)
        by_centroid: dict[int, float] = defaultdict(float)  # by intent index
        for gram, weight in query.items():
            postings = self.example_index.get(gram)
            if postings is not None:
                for number, other in zip(*postings, strict=True):
                    by_example[number] += weight * other
            centroid_postings = self.centroid_index.get(gram)
            if centroid_postings is not None:
                for intent_number, other in zip(*centroid_postings, strict=True):
                    by_centroid[intent_number] += weight * other
        neighbours: dict[str, list[float]] = defaultdict(list)
        for number, similarity in sorted(by_example.items(), key=lambda item: -item[1]):
            nearest = neighbours[self.intent_of[number]]
            if len(nearest) < NEIGHBOURS:
                nearest.append(similarity)
        scores: dict[str, float] = {}
        for number, similarity in by_centroid.items():
            intent = self.intents[number]
            neighbour_mean = sum(neighbours.get(intent, ())) / NEIGHBOURS
            scores[intent] = (1 - CENTROID_SHARE) * neighbour_mean + CENTROID_SHARE * similarity
        return scores

    def confidences(self, text: str) -> dict[str, float]:
        """Softmax of the scores over every known intent (those without a shared n-gram score 0)."""
        scores = self.scores(text)
        if not scores:
            return {}
        weights = {intent: math.exp(scores.get(intent, 0.0) / TEMPERATURE) for intent in self.intents}
        total = sum(weights.values())
        return {intent: weight / total for intent, weight in weights.items()}

    def match(self, text: str) -> Understanding:
        ranking = tuple(sorted(self.confidences(text).items(), key=lambda item: -item[1])[:10])
        intent, confidence = ranking[0] if ranking else ("out_of_scope", 0.0)
        return Understanding(
            intent=intent,
            topic=intent if intent in self.topic_ids else None,
            confidence=confidence,
            ranking=ranking or ((intent, confidence),),
            place=self.find_place(text),
            source="matcher",
        )
