"""Wegweiser's intent classifier for Rasa 3.6: character n-gram TF-IDF and a linear SVM.

Rasa's LogisticRegressionClassifier learns from raw CountVectorsFeaturizer counts (no idf, no length
normalisation); on short questions long conversation examples dominate it. This one reads the message
text itself (already `training.for_rasa`-normalised by the bot) and builds its own features: character
n-grams within words (`char_wb`, 2-5), sublinear TF-IDF, L2-normalised, so typos, inflection and
compounds in every script count, and a one- or two-word question weighs as much as a long one. Beside
them, with a lower weight, the same features of the text's consonant skeleton (script_skeleton.py), so
a question typed in Latin letters learns from the examples in Cyrillic or Arabic script and the other
way round ("registratsiya" and "регистрация" are both "rkstrc"). A linear SVM separates the intents.
Its scores become confidences by a softmax whose temperature is fitted at training time to minimise
the log-loss of cross-validated scores, so a confidence of 0.7 means about 70 % right and the
policy's thresholds keep their meaning when the examples change.
Measurements: nlu/README.md.

Rasa imports this file by module path (`wegweiser_classifier.CharSvmIntentClassifier` in
config.yml): the bot puts nlu/components on Rasa's PYTHONPATH (bot/understanding/service.py), and the
file is part of the model fingerprint, so changing it retrains. The trained model is stored as plain
arrays and JSON (no pickle).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from script_skeleton import skeleton
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

TEMPERATURES = np.geomspace(0.02, 2.0, 41)  # the softmax temperatures tried at training time


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of `scores / temperature`."""
    scaled = scores / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    weights = np.exp(scaled)
    return weights / weights.sum(axis=1, keepdims=True)


def best_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature whose softmax gives the true intents (column indexes) the lowest log-loss."""
    rows = np.arange(len(truth))
    losses = [-np.log(softmax(scores, t)[rows, truth] + 1e-12).mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CharSvmIntentClassifier(IntentClassifier, GraphComponent):
    """Character n-gram TF-IDF + linear SVM, with softmax confidences of a fitted temperature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "min_ngram": 2,
            "max_ngram": 5,
            "C": 2.0,  # SVM regularisation; 0.5 / 1 / 2 / 3 measured (nlu/README.md)
            "skeleton_weight": 0.7,  # of the skeleton's features; 0 leaves them out (nlu/README.md, step 18)
            "calibration_folds": 5,
            "random_state": 13,
            "ranking_length": 10,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizer: TfidfVectorizer | None = None
        self.skeleton_vectorizer: TfidfVectorizer | None = None
        self.classes: list[str] = []
        self.weights = np.zeros((0, 0))
        self.bias = np.zeros(0)
        self.temperature = 1.0

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CharSvmIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(self.config["min_ngram"], self.config["max_ngram"]),
            sublinear_tf=True,
            vocabulary=vocabulary,
            dtype=np.float64,
        )

    def _features(self, texts: list[str], *, fit: bool = False) -> scipy.sparse.csr_matrix:
        """The text's n-grams, beside the skeleton's n-grams times `skeleton_weight` (if any)."""
        assert self.vectorizer is not None
        exact = self.vectorizer.fit_transform(texts) if fit else self.vectorizer.transform(texts)
        if self.skeleton_vectorizer is None:
            return exact
        skeletons = [skeleton(text) for text in texts]
        coarse = (
            self.skeleton_vectorizer.fit_transform(skeletons)
            if fit
            else self.skeleton_vectorizer.transform(skeletons)
        )
        return scipy.sparse.hstack([exact, self.config["skeleton_weight"] * coarse], format="csr")

    def _svm(self) -> LinearSVC:
        return LinearSVC(C=self.config["C"], random_state=self.config["random_state"])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s stays untrained.", type(self).__name__)
            return self._resource
        texts = [str(e.get(TEXT)) for e in examples]
        labels = np.array([str(e.get(INTENT)) for e in examples])
        self.vectorizer = self._new_vectorizer()
        if self.config["skeleton_weight"]:
            self.skeleton_vectorizer = self._new_vectorizer()
        features = self._features(texts, fit=True)
        svm = self._svm().fit(features, labels)
        self.classes = [str(c) for c in svm.classes_]
        self.weights, self.bias = svm.coef_, svm.intercept_
        # Cross-validated scores (each question scored by a model that did not see it) for the
        # temperature: scores on the training questions themselves would be overconfident.
        folds = min(self.config["calibration_folds"], *Counter(labels.tolist()).values())
        if folds >= 2 and len(self.classes) > 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.config["random_state"])
            held_out = cross_val_predict(
                self._svm(), features, labels, cv=splitter, method="decision_function"
            )
            self.temperature = best_temperature(held_out, np.searchsorted(svm.classes_, labels))
        logger.info(
            "%s: %d intents, temperature %.3f", type(self).__name__, len(self.classes), self.temperature
        )
        self.persist()
        return self._resource

    def confidences(self, texts: list[str]) -> np.ndarray:
        """One row of confidences (in the order of `self.classes`) per text."""
        scores = self._features(texts) @ self.weights.T + self.bias
        if len(self.classes) == 2:  # a binary SVM has one score column
            scores = np.column_stack([-scores[:, 0], scores[:, 0]])
        return softmax(np.asarray(scores), self.temperature)

    def process(self, messages: list[Message]) -> list[Message]:
        if self.vectorizer is None or not messages:
            return messages
        rows = self.confidences([str(m.get(TEXT) or "") for m in messages])
        for message, row in zip(messages, rows, strict=True):
            order = np.argsort(-row)[: self.config["ranking_length"]]
            ranking = [{"name": self.classes[i], "confidence": float(row[i])} for i in order]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        assert self.vectorizer is not None
        arrays = {"weights": self.weights, "bias": self.bias, "idf": self.vectorizer.idf_}
        meta: dict[str, Any] = {
            "classes": self.classes,
            "temperature": self.temperature,
            "vocabulary": _vocabulary(self.vectorizer),
        }
        if self.skeleton_vectorizer is not None:
            arrays["skeleton_idf"] = self.skeleton_vectorizer.idf_
            meta["skeleton_vocabulary"] = _vocabulary(self.skeleton_vectorizer)
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / "arrays.npz", **arrays)
            (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CharSvmIntentClassifier:
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
                with np.load(directory / "arrays.npz", allow_pickle=False) as arrays:
                    component.weights, component.bias = arrays["weights"], arrays["bias"]
                    idf = arrays["idf"]
                    skeleton_idf = arrays["skeleton_idf"] if "skeleton_vocabulary" in meta else None
        except ValueError:
            logger.debug("%s: no trained model in the model storage", cls.__name__)
            return component
        component.classes = meta["classes"]
        component.temperature = float(meta["temperature"])
        component.vectorizer = component._new_vectorizer(meta["vocabulary"])
        component.vectorizer.idf_ = idf
        if skeleton_idf is not None:
            component.skeleton_vectorizer = component._new_vectorizer(meta["skeleton_vocabulary"])
            component.skeleton_vectorizer.idf_ = skeleton_idf
        return component


def _vocabulary(vectorizer: TfidfVectorizer) -> dict[str, int]:
    return {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
