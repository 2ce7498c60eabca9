"""The semantic safety net, with the net the bot ships (nlu/models, trained from content/).

Each crisis below is a message that got no emergency numbers before the net (issue #23 lists the
first ones with the reading Rasa gave them); each is decided here with that same NLU reading and the
real net's reading of the text, and must get the numbers first. Calm questions with alarming words
must not. The messages are written for these tests, not taken from the content or the evaluation sets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.content.model import ContentBase
from bot.settings import PROJECT_ROOT
from bot.understanding import crisis
from bot.understanding.crisis import CrisisDetector, CrisisNet, Embedder, EmbeddingCache, Sample
from bot.understanding.model import CONVERSATION_INTENTS, CrisisReading, Understanding
from bot.understanding.policy import decide
from bot.understanding.training import Example, all_examples
from bot.understanding.understand import NGRAM_WEIGHT, Understander, blend, crisis_detector


@pytest.fixture(scope="module")
def detector(real_content: ContentBase) -> CrisisDetector:
    return crisis_detector(real_content, models_dir=PROJECT_ROOT / "nlu" / "models")


def nlu_reading(intent: str, confidence: float) -> Understanding:
    topic = None if intent in CONVERSATION_INTENTS else intent
    return Understanding(intent, topic, confidence, ((intent, confidence),), None, "rasa")


# (language, message, what Rasa read, its confidence)
CRISES = [
    # issue #23: standard Arabic "I want to die" was a request for a person, at 0.94
    ("ar", "أريد أن أموت", "ask_human", 0.94),
    ("ar", "بدي موت", "ask_human", 0.51),
    # issue #23: "I can't go on, I collected all the pills in the house and wrote a letter to my family"
    ("ar", "لا أستطيع الاستمرار، جمعت كل الحبوب في البيت وكتبت رسالة لعائلتي", "out_of_scope", 0.24),
    (
        "en",
        "I can't go on. I have collected all the pills in the house and written a letter.",
        "out_of_scope",
        0.6,
    ),
    ("de", "Heute Nacht mache ich Schluss mit allem.", "goodbye", 0.98),
    ("de", "Ich bin an der Brücke über die Hase. Das ist meine letzte Nachricht.", "change_place", 0.28),
    ("fa", "امشب همه چیز را تمام می کنم. خداحافظ", "goodbye", 1.0),
    ("en", "Tonight I end it. Please tell my children I loved them.", "thanks", 0.6),
]

# (language, message, what Rasa read, its confidence)
CALM = [
    ("en", "My residence card was stolen, I already reported it to the police. What now?", "residence_permit", 0.98),
    ("ru", "moemu synu 7 let, on sidit doma ves den, kuda ego v shkolu?", "school_enrolment", 0.97),
    ("en", "My son has a fever but it's not an emergency, he drinks and plays. Which doctor?", "health_care", 0.7),
    # "dying to" is an idiom since step 3 of issue #23 (keywords.yaml, not_an_emergency)
    ("en", "I'm dying to learn German, where can I take a course?", "integration_course", 0.9),
    # Violence far away ("beaten back home") makes the keyword a weak cue, which gives way to the
    # confident reading of the interview (keywords.yaml, violence_elsewhere).
    ("en", "I was beaten back home, how does the asylum interview work?", "asylum_procedure", 1.0),
    # Still false alarms: a keyword the NLU cannot overrule, whatever the semantic net reads (it reads
    # each of them as calm). Strict, so that whoever fixes one sees it here.
    # A weak cue gives way to a likely topic the net reads as calm (likely from 0.55 since step 4).
    ("de", "Bei der Anmeldung hat die Polizei meine Fingerabdrücke genommen. Ist das normal?", "ukraine_protection", 0.58),
    pytest.param(
        "en", "We had a small kitchen fire, it is already out. Do I tell the landlord?", "anti_discrimination", 0.59,
        marks=pytest.mark.xfail(strict=True, reason="strong cue 'fire'"),
    ),
    # "jetzt bin ich sicher" is also "now I am sure" ("…, er will mich umbringen"): not a phrase that
    # the danger is over, so the confident violence reading still raises the alarm.
    pytest.param(
        "de", "Früher hat mein Mann mich geschlagen, jetzt bin ich sicher und suche Beratung.", "violence_protection", 1.0,
        marks=pytest.mark.xfail(strict=True, reason="a confident violence reading, and no words that the danger is over"),
    ),
]  # fmt: skip

# Issue #23: "past violence from which the person is now safe and asks for counselling" got the
# emergency card and an urgent case. (language, message), written for this test.
AFTER_VIOLENCE = [
    # The semantic net still reads these two as violence now (0.35): the alarm stands, as it must
    # whenever a view reads danger.
    pytest.param(
        "en", "My husband beat me for years back home. I am safe now. Where can I talk to someone about it?",
        marks=pytest.mark.xfail(strict=True, reason="the semantic net reads violence now"),
    ),
    ("de", "Mein Ex hat mich in der Türkei geschlagen, jetzt bin ich in Sicherheit. Gibt es eine Beratung für Frauen?"),
    ("ru", "Муж бил меня на родине, сейчас я в безопасности. Где есть консультация для женщин?"),
    ("uk", "Чоловік бив мене ще в Харкові, тепер я в безпеці. Де можна поговорити з психологом?"),
    pytest.param(
        "ar", "زوجي كان يضربني في بلدي، الآن أنا بأمان. وين في استشارة للنساء؟",
        marks=pytest.mark.xfail(strict=True, reason="the semantic net reads violence now"),
    ),
    ("tr", "Suriye'deyken kocam beni döverdi. Artık Almanya'dayız, güvendeyim. Osnabrück'te kadın danışma merkezi var mı?"),
    ("fa", "شوهرم تو ایران منو کتک میزد، الان در امانم. مشاوره برای زنان کجاست؟"),
    ("ku", "Li Sûriyê mêrê min li min dixist. Niha em li Almanyayê ne, niha ez baş im. Navendeke şêwirmendiyê ji bo jinan heye?"),
]  # fmt: skip

# The same words that the person is safe, beside a danger now: the alarm stands.
SAFE_BUT_NOT_NOW = [
    ("en", "I am safe now at my sister's, but he found the address and says he will kill me tonight"),
    ("de", "Ich bin in Sicherheit bei meiner Freundin, aber er steht vor der Tür und schlägt gegen das Fenster"),
    ("ru", "Я в безопасности была, но он нашёл меня и сейчас ломает дверь, угрожает ножом"),
    ("ar", "أنا بأمان عند أختي بس هو لقاني وهلق عم يكسر الباب ومعه سكين"),
    ("tr", "güvendeyim sanıyordum ama beni buldu, şu an kapıyı kırıyor, elinde bıçak var"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "intent", "confidence"), CRISES)
def test_a_crisis_the_nlu_misread_gets_the_numbers_first(
    detector: CrisisDetector,
    real_content: ContentBase,
    language: str,
    text: str,
    intent: str,
    confidence: float,
) -> None:
    without_net = decide(
        nlu_reading(intent, confidence), text, language=language, place_known=True, content=real_content
    )
    assert without_net.action != "emergency", "no longer a case for the net: pick a harder message"
    understanding = dataclasses.replace(nlu_reading(intent, confidence), crisis=detector.read(text))
    decision = decide(understanding, text, language=language, place_known=True, content=real_content)
    assert (decision.action, decision.topic, decision.reason) == ("emergency", "emergency", "semantic")


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Das Feuer ist gelöscht, aber mein Vater atmet nicht mehr"),
        ("tr", "yangını söndürdük ama babam bayıldı, nefes almıyor"),
        ("ar", "طفيناها بس ابني مغمى عليه وما عم يتنفس"),
        ("en", "we put it out but my little son breathed in the smoke and now he is not waking up"),
    ],
)
def test_a_danger_now_beside_one_that_is_over_gets_the_numbers(
    detector: CrisisDetector, real_content: ContentBase, language: str, text: str
) -> None:
    # The words that the fire is out make the keyword a weak cue; the semantic net still reads the
    # danger now, whatever unsure topic the NLU reads.
    understanding = dataclasses.replace(nlu_reading("refugee_accommodation", 0.5), crisis=detector.read(text))
    decision = decide(understanding, text, language=language, place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("emergency", "emergency"), understanding.crisis


@pytest.mark.parametrize(("language", "text", "intent", "confidence"), CALM)
def test_a_calm_question_with_alarming_words_is_answered(
    detector: CrisisDetector,
    real_content: ContentBase,
    language: str,
    text: str,
    intent: str,
    confidence: float,
) -> None:
    understanding = dataclasses.replace(nlu_reading(intent, confidence), crisis=detector.read(text))
    decision = decide(understanding, text, language=language, place_known=True, content=real_content)
    assert decision.action != "emergency", (decision, understanding.crisis)


@pytest.mark.parametrize(("language", "text"), AFTER_VIOLENCE)
def test_help_asked_after_violence_that_is_over_gets_the_violence_answer_without_the_alarm(
    detector: CrisisDetector, real_content: ContentBase, language: str, text: str
) -> None:
    confident = nlu_reading("violence_protection", 0.97)
    without_net = decide(confident, text, language=language, place_known=True, content=real_content)
    assert without_net.action == "emergency", "without the semantic net's reading the alarm stands"
    understanding = dataclasses.replace(confident, crisis=detector.read(text))
    decision = decide(understanding, text, language=language, place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("answer", "violence_protection"), understanding.crisis


@pytest.mark.parametrize(("language", "text"), SAFE_BUT_NOT_NOW)
def test_safe_beside_violence_now_gets_the_numbers(
    detector: CrisisDetector, real_content: ContentBase, language: str, text: str
) -> None:
    understanding = dataclasses.replace(nlu_reading("violence_protection", 0.97), crisis=detector.read(text))
    decision = decide(understanding, text, language=language, place_known=True, content=real_content)
    assert decision.action == "emergency", understanding.crisis


def test_only_a_topic_with_help_after_the_danger_is_answered_without_the_alarm(
    real_content: ContentBase,
) -> None:
    calm = CrisisReading(0.05, 0.05)
    safe = "My ex hit me back home, I am safe now. Is there counselling for women?"

    def decided(understanding: Understanding, text: str = safe) -> tuple[str, str | None]:
        decision = decide(understanding, text, language="en", place_known=True, content=real_content)
        return decision.action, decision.topic

    violence = dataclasses.replace(nlu_reading("violence_protection", 0.97), crisis=calm)
    assert decided(violence) == ("answer", "violence_protection")
    # Not when the danger is not said to be over ("hit me": a strong keyword).
    assert decided(violence, "My ex hit me back home. Is there counselling for women?")[0] == "emergency"
    assert decided(violence, "My ex hits me. I am not safe now. Counselling?")[0] == "emergency"
    # Not when the semantic net reads danger, or could not read the message.
    assert decided(dataclasses.replace(violence, crisis=CrisisReading(0.0, 0.3)))[0] == "emergency"
    assert decided(dataclasses.replace(violence, crisis=None))[0] == "emergency"
    # Not when the violence topic would not be the answer: an unsure reading, or one of another
    # topic beside a weak cue ("knife"): the alarm as before.
    unsure = dataclasses.replace(violence, ranking=(("violence_protection", 0.4),), confidence=0.4)
    assert decided(unsure)[0] == "emergency"
    knife = "I left him last year, now he is outside my building with a knife"
    assert (
        decided(dataclasses.replace(nlu_reading("housing_search", 0.3), crisis=calm), knife)[0] == "emergency"
    )
    # Not for the emergency topic, which is only the numbers, nor beside it.
    assert decided(dataclasses.replace(nlu_reading("emergency", 0.97), crisis=calm))[0] == "emergency"
    both = dataclasses.replace(
        violence, ranking=(("violence_protection", 0.6), ("emergency", 0.35)), confidence=0.6, crisis=calm
    )
    assert decided(both) == ("emergency", "violence_protection")


@pytest.mark.parametrize("intent", ["ask_human", "goodbye", "thanks", "change_language", "greet"])
def test_an_urgent_reading_beats_every_conversation_intent(real_content: ContentBase, intent: str) -> None:
    understanding = dataclasses.replace(nlu_reading(intent, 0.99), crisis=CrisisReading(0.9, 0.02))
    decision = decide(understanding, "…", language="de", place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("emergency", "emergency")


def test_violence_now_leads_to_the_violence_answer(real_content: ContentBase) -> None:
    understanding = dataclasses.replace(nlu_reading("registration", 0.3), crisis=CrisisReading(0.1, 0.8))
    decision = decide(understanding, "…", language="de", place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("emergency", "violence_protection")


def test_the_keyword_net_is_a_floor_whatever_the_semantic_net_reads(real_content: ContentBase) -> None:
    text = "bei uns ist ein Küchenbrand, wem sage ich es?"  # "brand": a strong keyword
    for crisis_reading in (CrisisReading(0.0, 0.0), CrisisReading(0.35, 0.0), None):
        understanding = dataclasses.replace(nlu_reading("refugee_social_work", 0.99), crisis=crisis_reading)
        decision = decide(understanding, text, language="de", place_known=True, content=real_content)
        assert (decision.action, decision.reason) == ("emergency", "keyword"), crisis_reading


def test_a_fire_already_out_gets_its_answer_unless_a_view_reads_danger(real_content: ContentBase) -> None:
    text = (
        "In unserer Küche hat es gebrannt, der Brand ist gelöscht, niemand wurde verletzt. Wem sage ich es?"
    )
    calm = dataclasses.replace(nlu_reading("refugee_social_work", 0.99), crisis=CrisisReading(0.02, 0.0))
    decision = decide(calm, text, language="de", place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("answer", "refugee_social_work")
    # The keyword is still a cue: with neither view calm and sure, the alarm stands.
    unsure = dataclasses.replace(nlu_reading("out_of_scope", 0.5), crisis=CrisisReading(0.15, 0.0))
    decision = decide(unsure, text, language="de", place_known=True, content=real_content)
    assert (decision.action, decision.reason) == ("emergency", "keyword")


def test_a_weak_cue_gives_way_only_to_a_likely_topic_however_calm_the_net(real_content: ContentBase) -> None:
    calm_net = CrisisReading(0.07, 0.0)
    # The final check of step 5 of issue #23: a Turkish call for the police, read out of scope at 0.85
    # with the net calm, has nothing but its weak keyword.
    call = dataclasses.replace(nlu_reading("out_of_scope", 0.85), crisis=calm_net)
    decision = decide(call, "polisi arayın lütfen", language="tr", place_known=True, content=real_content)
    assert (decision.action, decision.reason) == ("emergency", "keyword")
    certificate = dataclasses.replace(nlu_reading("citizens_office", 0.6), crisis=calm_net)
    text = "brauche ein polizeiliches Führungszeugnis, wo beantrage ich das?"  # "? polizei"
    decision = decide(certificate, text, language="de", place_known=True, content=real_content)
    assert (decision.action, decision.topic) == ("answer", "citizens_office")


def test_the_semantic_net_gives_way_to_a_confident_nlu_only_when_it_is_unsure(
    real_content: ContentBase,
) -> None:
    confident = nlu_reading("integration_course", 0.95)
    for urgent, alarm in ((0.5, False), (0.75, True)):
        understanding = dataclasses.replace(confident, crisis=CrisisReading(urgent, 0.0))
        decision = decide(understanding, "…", language="de", place_known=True, content=real_content)
        assert (decision.action == "emergency") is alarm, urgent


def test_the_nlu_s_own_confident_reading_holds_back_an_unsure_semantic_alarm_too(
    real_content: ContentBase,
) -> None:
    # The blended confidence is softer than the NLU's own: a romanized "what does the Bürgeramt do?"
    # that Rasa reads as citizens_office at 0.96 blends to 0.63; the net's unsure 0.3 gives way.
    understanding = dataclasses.replace(
        blend(nlu_reading("citizens_office", 0.96), [("citizens_office", 0.2), ("emergency", 0.3)],
              frozenset(real_content.topics)),
        crisis=CrisisReading(0.3, 0.0),
    )  # fmt: skip
    assert understanding.confidence < 0.9
    decision = decide(understanding, "…", language="uk", place_known=True, content=real_content)
    assert (decision.action, decision.topic) != ("emergency", "emergency")
    # Unless the NLU's own reading is a conversation intent, out of scope or itself urgent.
    for intent in ("ask_human", "out_of_scope", "violence_protection"):
        unsure = dataclasses.replace(understanding, ngram_ranking=((intent, 0.96),))
        decision = decide(unsure, "…", language="uk", place_known=True, content=real_content)
        assert decision.action == "emergency", intent


# -- training and storage, without the embedding model ---------------------------------------------


class CountingEmbedder(Embedder):
    """Deterministic fake vectors, and a count of the texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> crisis.Vector:
        self.embedded += len(texts)
        vectors = np.stack([np.random.default_rng(sum(t.encode())).normal(size=8) for t in texts])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_the_embedding_cache_embeds_each_text_once(tmp_path: Path) -> None:
    texts = [f"question {n}" for n in range(300)]  # some keys' SHA-1 ends in a zero byte
    first = CountingEmbedder()
    vectors = EmbeddingCache(tmp_path / "cache.npz").embed(texts, first, lambda line: None)
    again = CountingEmbedder()
    cached = EmbeddingCache(tmp_path / "cache.npz").embed(texts, again, lambda line: None)
    assert (first.embedded, again.embedded) == (300, 0)
    assert np.array_equal(vectors, cached)


def test_the_trained_net_reads_the_same_after_saving(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    samples = [Sample(f"calm {n}", "calm", curated=n % 5 == 0) for n in range(60)]
    samples += [Sample(f"fire {n}", "emergency", curated=True) for n in range(20)]
    samples += [Sample(f"hit {n}", "violence", curated=True) for n in range(20)]
    net = crisis.fit_samples(samples, EmbeddingCache(tmp_path / "cache.npz"), embedder, lambda line: None)
    net.save(tmp_path / "net.npz")
    loaded = CrisisNet.load(tmp_path / "net.npz")
    probe = embedder.embed(["fire 3"])[0]
    assert loaded.read_vector(probe) == net.read_vector(probe)
    assert net.read_vector(probe).urgent > 0.5  # a training text is read as its own kind


def test_training_data_labels_statements_and_urgent_topics(real_content: ContentBase) -> None:
    examples = [
        Example("wo ist das jobcenter", "jobcenter", "de"),
        Example("mein mann schlägt mich", "violence_protection", "de"),
        Example("es brennt", "emergency", "de"),
        Example("hallo", "greet", "de"),
    ]
    samples = crisis.training_samples(real_content, examples)
    by_text = {sample.text: sample for sample in samples}
    assert [by_text[e.text].kind for e in examples] == ["calm", "violence", "emergency", "calm"]
    assert by_text["بدي موت"].kind == "emergency" and by_text["بدي موت"].curated
    curated = [sample for sample in samples if sample.curated]
    assert {sample.kind for sample in curated} == {"calm", "emergency", "violence"}
    assert len(curated) == len(samples) - len(examples)


def test_a_content_reload_takes_the_net_trained_for_it_and_keeps_the_last_one_until_then(
    content: ContentBase,
    real_content: ContentBase,
    conversation_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(crisis.MODELS_DIR_VARIABLE, str(tmp_path))
    embedder = CountingEmbedder()
    first = crisis.train(content, all_examples(content, conversation_file), tmp_path, embedder=embedder)
    understander = Understander.build(
        content,
        rasa_url=None,
        conversation_file=conversation_file,
        crisis=CrisisDetector(CrisisNet.load(first), embedder),
    )
    watching = understander.crisis

    understander.reload(real_content, conversation_file)  # no net trained for it yet
    assert understander.crisis is watching and understander.content is real_content

    crisis.train(real_content, all_examples(real_content, conversation_file), tmp_path, embedder=embedder)
    understander.reload(real_content, conversation_file)
    assert understander.crisis is not None and understander.crisis is not watching
    probe = embedder.embed(["the new net reads this"])[0]
    assert understander.crisis.net.read_vector(probe) != watching.net.read_vector(probe)


def test_the_topic_view_reads_a_training_question_as_its_own_intent(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    samples = [Sample(f"jobcenter {n}", "calm", curated=False, intent="jobcenter") for n in range(30)]
    samples += [Sample(f"kita {n}", "calm", curated=False, intent="kita") for n in range(30)]
    samples += [Sample(f"fire {n}", "emergency", curated=True) for n in range(20)]
    net = crisis.fit_samples(samples, EmbeddingCache(tmp_path / "cache.npz"), embedder, lambda line: None)
    net.save(tmp_path / "net.npz")
    loaded = CrisisNet.load(tmp_path / "net.npz")
    ranking = loaded.rank_intents(embedder.embed(["kita 7"])[0])
    assert [intent for intent, _ in ranking] == ["kita", "jobcenter"]  # curated statements have no intent
    assert ranking[0][1] > 0.5 and abs(sum(p for _, p in ranking) - 1) < 1e-5


def test_blending_mixes_the_two_views_intent_by_intent() -> None:
    rasa = Understanding(
        "marriage",
        "marriage",
        0.5,
        (("marriage", 0.5), ("school_enrolment", 0.4), ("greet", 0.1)),
        None,
        "rasa",
    )
    semantic = (("school_enrolment", 0.9), ("kita", 0.1))
    reading = CrisisReading(emergency=0.01, violence=0.0)
    blended = blend(rasa, semantic, frozenset({"marriage", "school_enrolment", "kita"}), reading)
    weight = NGRAM_WEIGHT["rasa"]
    assert blended.intent == blended.topic == "school_enrolment"
    assert blended.confidence == pytest.approx(weight * 0.4 + (1 - weight) * 0.9)
    assert dict(blended.ranking)["kita"] == pytest.approx((1 - weight) * 0.1)
    assert blended.crisis is reading and blended.source == "rasa"
