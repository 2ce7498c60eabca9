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
from collections.abc import Callable, Iterator, Sequence

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


def features(text: str) -> Counter[str]:
    """Character n-grams of each word, padded with spaces so word starts and ends stand out."""
    grams: list[str] = []
    for word in normalise(text).split():
        padded = f" {word} "
        length = len(padded)
        for size in NGRAM_SIZES:
            grams.extend(padded[start : start + size] for start in range(max(1, length - size + 1)))
    return Counter(grams)


def _unit(vector: dict[int, float]) -> dict[int, float]:
    norm = math.sqrt(sum(weight * weight for weight in vector.values())) or 1.0
    return {gram: weight / norm for gram, weight in vector.items()}


class _Postings:
    """An inverted index in flat arrays: the entries of gram number g are `numbers` and `weights`
    from `starts[g]` to `starts[g + 1]`. Two arrays per gram, as before, made the matcher 55 MB
    instead of 21 (their object headers outweighed the entries; the whole content base)."""

    def __init__(self, counts: array[int]) -> None:
        self.starts = array("i", [0])
        for count in counts:
            self.starts.append(self.starts[-1] + count)
        self.numbers = array("i", bytes(4 * self.starts[-1]))
        self.weights = array("d", bytes(8 * self.starts[-1]))
        self._next = array("i", self.starts[:-1])  # where the next entry of each gram goes (building)

    def add(self, gram: int, number: int, weight: float) -> None:
        position = self._next[gram]
        self.numbers[position] = number
        self.weights[position] = weight
        self._next[gram] = position + 1

    def built(self) -> None:
        del self._next

    def entries(self, gram: int) -> zip[tuple[int, float]]:
        start, end = self.starts[gram], self.starts[gram + 1]
        return zip(self.numbers[start:end], self.weights[start:end], strict=True)


class Matcher:
    """Builds in a few seconds for the whole content base; answers in a few milliseconds."""

    def __init__(
        self,
        examples: Sequence[Example],
        *,
        topic_ids: frozenset[str],
        find_place: Callable[[str], str | None] = lambda text: None,
    ) -> None:
        self.topic_ids = topic_ids
        self.find_place = find_place
        document_frequency: Counter[str] = Counter()
        for example in examples:
            document_frequency.update(features(example.plain_text).keys())
        total = len(examples) + 1
        common_from = max(COMMON_GRAM_SHARE * len(examples), MIN_COMMON_GRAM_COUNT)
        self.gram_ids = {gram: number for number, gram in enumerate(document_frequency)}
        self.idf = array("d", (math.log(total / (count + 1)) + 1.0 for count in document_frequency.values()))
        common = array("b", (count > common_from for count in document_frequency.values()))
        del document_frequency

        self.intent_of: list[str] = [example.intent for example in examples]
        self.intents = sorted(set(self.intent_of))
        numbers_of: dict[str, list[int]] = defaultdict(list)
        for number, intent in enumerate(self.intent_of):
            numbers_of[intent].append(number)

        def walk() -> Iterator[tuple[int, Iterator[tuple[int, int, float]], dict[int, float]]]:
            """Per intent: its number, its examples' (example, gram, weight) entries and its centroid
            (complete once the entries are read). Walked twice, to count and then to fill the index,
            so that no more than one example's vector is held at a time; each gram's entries then
            stand in the order of the walk, and every score is summed in the same order as before."""
            for intent_number, intent in enumerate(self.intents):
                centroid: dict[int, float] = defaultdict(float)
                yield intent_number, self._entries(examples, numbers_of[intent], common, centroid), centroid

        example_counts = array("i", bytes(4 * len(self.idf)))
        centroid_counts = array("i", bytes(4 * len(self.idf)))
        for _, entries, centroid in walk():
            for _, gram, _ in entries:
                example_counts[gram] += 1
            for gram in centroid:
                centroid_counts[gram] += 1
        self.example_index = _Postings(example_counts)
        self.centroid_index = _Postings(centroid_counts)
        for intent_number, entries, centroid in walk():
            for number, gram, weight in entries:
                self.example_index.add(gram, number, weight)
            for gram, weight in _unit(centroid).items():
                self.centroid_index.add(gram, intent_number, weight)
        self.example_index.built()
        self.centroid_index.built()

    def _entries(
        self, examples: Sequence[Example], numbers: list[int], common: array[int], centroid: dict[int, float]
    ) -> Iterator[tuple[int, int, float]]:
        """(example, gram, weight) of the examples `numbers` but for the common grams; every gram's
        weight is added to `centroid` on the way."""
        for number in numbers:
            for gram, weight in self._vector(features(examples[number].plain_text)).items():
                centroid[gram] += weight
                if not common[gram]:
                    yield number, gram, weight

    def _vector(self, grams: Counter[str]) -> dict[int, float]:
        """The unit TF-IDF vector of `grams`, by gram number (grams no example has are left out)."""
        ids, idf = self.gram_ids, self.idf
        weights: dict[int, float] = {}
        for gram, count in grams.items():
            number = ids.get(gram)
            if number is not None:
                weights[number] = idf[number] if count == 1 else (1.0 + math.log(count)) * idf[number]
        return _unit(weights)

    def scores(self, text: str) -> dict[str, float]:
        """Every intent that shares an n-gram with `text`, with its score in 0..1."""
        query = self._vector(features(text))
        by_example: dict[int, float] = defaultdict(float)
        by_centroid: dict[int, float] = defaultdict(float)  # by intent index
        for gram, weight in query.items():
            for number, other in self.example_index.entries(gram):
                by_example[number] += weight * other
            for intent_number, other in self.centroid_index.entries(gram):
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
