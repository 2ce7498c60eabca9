"""`wegweiser nlu evaluate`: train on part of the example questions, test on the rest, and test
the served setup on independent question sets.

Per language, for Rasa and for the degraded-mode matcher: top-1 topic accuracy, macro F1 over all
intents, the most confused pairs, emergency recall (urgent questions that end as an emergency
decision, keyword net included) and how often an out-of-scope question gets a confident answer.

Test sets: "split" is the held-out part of the example questions plus every file in
nlu/data/evaluation/ without a `set:` key (never trained on), scored against a model trained on the
rest. A file with `set: NAME` (newcomers.yml) is its own section, scored against a model trained on
ALL example questions, as served: those questions are independent of the training data, so holding
anything out would only measure less than what users get.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bot.content.model import ContentBase
from bot.understanding import crisis
from bot.understanding.client import CircuitBreaker, RasaClient
from bot.understanding.matcher import Matcher
from bot.understanding.model import CONVERSATION_INTENTS, Understanding
from bot.understanding.policy import Decision, decide
from bot.understanding.service import NluProject, Progress, start_rasa, stop_server, train_model
from bot.understanding.text import find_place
from bot.understanding.training import Example, all_examples, conversation_examples, split
from bot.understanding.understand import blend, place_resolver

ALL = "all"
SPLIT = "split"
ANSWERING = frozenset({"answer", "ask_place"})


@dataclass
class Scores:
    examples: int = 0
    topic_examples: int = 0
    topic_accuracy: float = 0.0  # top-1 intent == topic, over topic questions
    intent_accuracy: float = 0.0  # over all questions
    macro_f1: float = 0.0  # over the intents present among this language's questions
    answered_correctly: float = 0.0  # topic questions the policy answers with the right topic
    clarified: float = 0.0  # topic questions the policy answers with "did you mean …?"
    clarified_right: float | None = None  # of those "did you mean …?", the right topic among the buttons
    emergency_recall: float | None = None  # urgent questions decided as emergency
    false_alarms: float = 0.0  # non-urgent questions decided as emergency
    out_of_scope_confident: float | None = None  # out-of-scope questions answered with a topic
    confused: list[tuple[str, str, int]] = field(default_factory=list)  # (true, predicted, count)


@dataclass
class SetScores:
    """One independent test set, scored against the engine trained on all example questions."""

    train_size: int
    test_size: int
    by_language: dict[str, Scores]


@dataclass
class Report:
    engine: str
    train_size: int  # of the split
    test_size: int  # of the split
    seconds: float
    by_language: dict[str, Scores]  # the split
    sets: dict[str, SetScores] = field(default_factory=dict)  # e.g. "newcomers"


def evaluation_sets(directory: Path, known_intents: set[str]) -> dict[str, list[Example]]:
    """The questions of nlu/data/evaluation/*.yml by set name (`set:` key, default "split").

    Questions of intents the content base does not have (a test's smaller content) are left out.
    """
    sets: dict[str, list[Example]] = defaultdict(list)
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        name = str(data.get("set") or SPLIT)
        sets[name] += [e for e in conversation_examples(path) if e.intent in known_intents]
    return dict(sets)


def score(
    engine: str, results: Sequence[tuple[Example, Understanding, Decision]], content: ContentBase
) -> dict[str, Scores]:
    groups: dict[str, list[tuple[Example, Understanding, Decision]]] = defaultdict(list)
    for item in results:
        groups[item[0].language].append(item)
        groups[ALL].append(item)
    urgent = {topic.id for topic in content.topics.values() if topic.care == "urgent"}
    return {
        language: _scores(items, set(content.topics), urgent) for language, items in sorted(groups.items())
    }


def _rate(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 0.0


def _scores(
    items: list[tuple[Example, Understanding, Decision]], topics: set[str], urgent: set[str]
) -> Scores:
    topic_items = [item for item in items if item[0].intent in topics]
    urgent_items = [item for item in items if item[0].intent in urgent]
    calm_items = [item for item in items if item[0].intent not in urgent]
    out_of_scope = [item for item in items if item[0].intent == "out_of_scope"]
    clarified = [item for item in topic_items if item[2].action == "clarify"]
    confused = Counter((e.intent, u.intent) for e, u, _ in items if e.intent != u.intent)
    return Scores(
        examples=len(items),
        topic_examples=len(topic_items),
        topic_accuracy=_rate(sum(u.intent == e.intent for e, u, _ in topic_items), len(topic_items)),
        intent_accuracy=_rate(sum(u.intent == e.intent for e, u, _ in items), len(items)),
        macro_f1=round(_macro_f1([(e.intent, u.intent) for e, u, _ in items]), 4),
        answered_correctly=_rate(
            sum(d.action in ANSWERING and d.topic == e.intent for e, _, d in topic_items), len(topic_items)
        ),
        clarified=_rate(sum(d.action == "clarify" for _, _, d in topic_items), len(topic_items)),
        clarified_right=_rate(sum(e.intent in d.alternatives for e, _, d in clarified), len(clarified))
        if clarified
        else None,
        emergency_recall=_rate(sum(d.action == "emergency" for _, _, d in urgent_items), len(urgent_items))
        if urgent_items
        else None,
        false_alarms=_rate(sum(d.action == "emergency" for _, _, d in calm_items), len(calm_items)),
        out_of_scope_confident=_rate(
            sum(d.action in ANSWERING and d.topic is not None for _, _, d in out_of_scope), len(out_of_scope)
        )
        if out_of_scope
        else None,
        confused=[(true, predicted, count) for (true, predicted), count in confused.most_common(3)],
    )


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {true for true, _ in pairs}
    f1s = []
    for label in labels:
        true_positive = sum(t == label and p == label for t, p in pairs)
        predicted = sum(p == label for _, p in pairs)
        actual = sum(t == label for t, _ in pairs)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _rasa_readings(url: str, texts: Sequence[str], content: ContentBase) -> list[Understanding]:
    # A generous timeout and a breaker that never opens: here we measure Rasa, not its availability.
    client = RasaClient(
        url,
        topic_ids=frozenset(content.topics),
        resolve_place=place_resolver(content),
        timeout=10.0,
        breaker=CircuitBreaker(failure_threshold=10**9),
    )
    try:
        readings = []
        for text in texts:
            found = await client.parse(text)
            if found is None:
                raise RuntimeError(f"Rasa did not answer during evaluation ({client.stats.last_error})")
            readings.append(found)
        return readings
    finally:
        await client.aclose()


def _decisions(
    examples: Sequence[Example], readings: Sequence[Understanding], content: ContentBase
) -> list[tuple[Example, Understanding, Decision]]:
    return [
        (example, reading, decide(reading, example.plain_text, language=example.language, place_known=True,
                                  content=content))
        for example, reading in zip(examples, readings, strict=True)
    ]  # fmt: skip


def evaluate(
    project: NluProject,
    content: ContentBase,
    *,
    holdout: float = 0.2,
    seed: int = 13,
    config: Path | None = None,
    engines: Sequence[str] = ("rasa", "matcher"),
    progress: Progress = print,
) -> list[Report]:
    """Train on a split (cached under nlu/models/evaluation by fingerprint), test on the rest plus the
    never-trained questions of nlu/data/evaluation/; score the independent sets there against
    engines trained on everything."""
    everything = all_examples(content, project.conversation_file)
    train, test = split(everything, holdout=holdout, seed=seed)
    known = set(content.topics) | set(CONVERSATION_INTENTS)
    sets = evaluation_sets(project.root / "data" / "evaluation", known)
    test += sets.pop(SPLIT, [])
    progress(f"{len(train)} training and {len(test)} test questions (holdout {holdout:.0%}, seed {seed})")
    for name, questions in sets.items():
        progress(f"set {name}: {len(questions)} questions, against all {len(everything)} examples")
    reports = []
    for engine in ("matcher", "rasa"):
        if engine not in engines:
            continue
        started = time.monotonic()
        readings = _readings(engine, project, content, train, test, config, progress)
        report = Report(
            engine, len(train), len(test), 0.0, score(engine, _decisions(test, readings, content), content)
        )
        if sets:
            questions = [question for name in sets for question in sets[name]]
            readings = _readings(engine, project, content, everything, questions, config, progress)
            offset = 0
            for name, members in sets.items():
                part = readings[offset : offset + len(members)]
                offset += len(members)
                report.sets[name] = SetScores(
                    len(everything), len(members), score(engine, _decisions(members, part, content), content)
                )
        report.seconds = time.monotonic() - started
        reports.append(report)
    return reports


def _readings(
    engine: str,
    project: NluProject,
    content: ContentBase,
    train: Sequence[Example],
    test: Sequence[Example],
    config: Path | None,
    progress: Progress,
) -> list[Understanding]:
    """Train `engine` and the semantic safety net on `train`; read every question of `test` with both."""
    texts = [example.plain_text for example in test]
    if engine == "matcher":
        matcher = Matcher(
            train, topic_ids=frozenset(content.topics), find_place=lambda t: find_place(t, content)
        )
        readings = [matcher.match(text) for text in texts]
    else:
        readings = _rasa_run(project, content, train, texts, config, progress)
    return _with_crisis(readings, project, content, train, texts, progress)


def _with_crisis(
    readings: Sequence[Understanding],
    project: NluProject,
    content: ContentBase,
    train: Sequence[Example],
    texts: Sequence[str],
    progress: Progress,
) -> list[Understanding]:
    """Add the semantic net's readings (crisis, and the topic view blended in), from a net trained
    on the same questions."""
    cache = crisis.EmbeddingCache(crisis.default_models_dir() / crisis.EMBEDDINGS_FILE)
    embedder = crisis.Embedder()
    progress("training the crisis net on the training questions …")
    net = crisis.fit_samples(crisis.training_samples(content, train), cache, embedder, progress)
    vectors = cache.embed(texts, embedder, progress)
    topic_ids = frozenset(content.topics)
    return [
        blend(reading, net.rank_intents(vector), topic_ids, net.read_vector(vector))
        for reading, vector in zip(readings, vectors, strict=True)
    ]


def _rasa_run(
    project: NluProject,
    content: ContentBase,
    train: Sequence[Example],
    texts: Sequence[str],
    config: Path | None,
    progress: Progress,
) -> list[Understanding]:
    workdir = project.models_dir / "evaluation"
    model = train_model(
        project, content, examples=train, config=config, models_dir=workdir, data_dir=workdir / "data",
        progress=progress,
    )  # fmt: skip
    url = f"http://127.0.0.1:{free_port()}"
    progress(f"starting Rasa with {model.name} on {url} …")
    server = start_rasa(project, model, url, log=workdir / "rasa.log")
    try:
        progress(f"parsing {len(texts)} test questions …")
        readings = asyncio.run(_rasa_readings(url, texts, content))
    finally:
        stop_server(server)
    return readings


def as_json(reports: Sequence[Report]) -> dict[str, object]:
    return {report.engine: asdict(report) for report in reports}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:5.1f}"


def _section(title: str, by_language: dict[str, Scores]) -> list[str]:
    lines = [
        title,
        "lang     n  topic%  F1%  answer%  clarify%  right-button%  emerg.recall%  false-alarm%  oos-confident%",
    ]
    for language, scores in by_language.items():
        lines.append(
            f"{language:<4} {scores.examples:>5}  {_percent(scores.topic_accuracy)} "
            f"{_percent(scores.macro_f1)}  {_percent(scores.answered_correctly)}    "
            f"{_percent(scores.clarified)}      {_percent(scores.clarified_right)}          "
            f"{_percent(scores.emergency_recall)}         "
            f"{_percent(scores.false_alarms)}         {_percent(scores.out_of_scope_confident)}"
        )
    lines.append("most confused (true -> predicted: count):")
    for language, scores in by_language.items():
        pairs = ", ".join(f"{t} -> {p}: {n}" for t, p, n in scores.confused) or "-"
        lines.append(f"  {language}: {pairs}")
    lines.append("")
    return lines


def as_table(reports: Sequence[Report]) -> str:
    lines = []
    for report in reports:
        lines += _section(
            f"{report.engine}: {report.train_size} training / {report.test_size} test questions, "
            f"{report.seconds:.0f} s",
            report.by_language,
        )
        for name, found in report.sets.items():
            lines += _section(
                f"{report.engine}, set {name}: {found.test_size} questions "
                f"(trained on all {found.train_size} examples)",
                found.by_language,
            )
    if any(report.sets for report in reports):
        lines.append(
            "top-1 topic accuracy, split / " + " / ".join(sorted({n for r in reports for n in r.sets}))
        )
        for report in reports:
            for language, scores in report.by_language.items():
                others = " ".join(
                    _percent(found.by_language[language].topic_accuracy)
                    if language in found.by_language
                    else "    -"
                    for _, found in sorted(report.sets.items())
                )
                lines.append(f"  {report.engine:<8}{language:<4} {_percent(scores.topic_accuracy)} {others}")
        lines.append("")
    return "\n".join(lines)
