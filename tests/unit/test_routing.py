"""The cascade's finer points: held-up products, clarifying questions, open cues inside product
names, unreliable transcripts, and the visit context sent on escalation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.stt import Transcript
from edge.tts import SpeechChunk
from kiosk.agent.answers import local_reply
from kiosk.agent.context import VisitContext
from kiosk.agent.intent import Intent, classify
from kiosk.agent.ports import CloudRequest, HeldProduct, Scene
from kiosk.agent.router import Clarification, HeldItem, RouteDecision, RouterOptions, decide
from kiosk.agent.turn import TurnEngine
from kiosk.store.catalog import Catalog
from kiosk.store.pack import Product, load_store
from kiosk.store.text import skeleton
from tests.fakes import Conversation, LoudnessVad, ScriptedCloud, ScriptedStt, ToneTts

pytestmark = pytest.mark.unit
OPTIONS = RouterOptions()


@pytest.fixture
def catalog(mini_store_dir: Path) -> Catalog:
    return Catalog(load_store(mini_store_dir))


def _product(catalog: Catalog, sku_or_name: str) -> Product:
    return next(p for p in catalog.store.products if sku_or_name in (p.sku, p.name))


def _route(catalog: Catalog, text: str, **kwargs: object) -> RouteDecision:
    matches = catalog.search(text)
    words = [w for w in matches[0].phrase.lower().split()] if matches else []
    intent = classify(text, words)
    return decide(text, intent, matches, OPTIONS, cloud_available=True, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("how long do avocados take to ripen", Intent.OPEN),
        ("do these batteries contain lithium", Intent.OPEN),
        ("can I give ibuprofen to my kids", Intent.OPEN),
        ("what time does the pharmacy close", Intent.OPEN),
        ("where can I find the allergy pills", Intent.OPEN),  # without the product's words
        ("do you guys have duct tape", Intent.AVAILABILITY),
        ("how much is this", Intent.PRICE),
    ],
)
def test_intent_cues(text: str, intent: Intent) -> None:
    assert classify(text) is intent


def test_an_open_cue_inside_a_product_name_is_not_a_question() -> None:
    assert classify("where can I find the allergy pills", ["allergy", "pill"]) is Intent.LOCATE
    assert classify("are the allergy pills safe for kids", ["allergy", "pill"]) is Intent.OPEN


def test_soft_c_sounds_like_s() -> None:
    assert skeleton("cereal") == skeleton("serial")
    assert skeleton("cider") == skeleton("sider")


def test_held_up_product_is_answered_locally(catalog: Catalog) -> None:
    milk = _product(catalog, "Whole milk, 1 gallon")
    held = HeldItem(milk, "barcode", 0.99)
    decision = _route(catalog, "how much is this", held=held)
    assert decision.route == "local" and decision.product is milk and decision.source == "held"
    assert "held-up product 'Whole milk, 1 gallon' recognised by barcode 0.99" in decision.reason
    assert local_reply(decision, catalog.store) == (
        "That's the whole milk. It's 4.29. You'll find it in the dairy cooler on the back wall."
    )
    where = _route(catalog, "where do these go", held=held)
    assert where.route == "local" and where.intent is Intent.LOCATE


def test_a_named_product_wins_over_the_held_one(catalog: Catalog) -> None:
    held = HeldItem(_product(catalog, "Whole milk, 1 gallon"), "embedding", 0.9)
    decision = _route(catalog, "where are the AA batteries", held=held)
    assert decision.product is not None and decision.product.shelf == "A5-L"
    assert decision.source == "catalog"


def test_held_up_items_the_kiosk_cannot_answer_go_to_the_cloud(catalog: Catalog) -> None:
    unknown = _route(catalog, "how much is this", held=HeldItem(None))
    assert unknown.route == "cloud" and "matches no product" in unknown.reason
    unsure = _route(
        catalog,
        "where do I find this",
        held=HeldItem(_product(catalog, "Whole milk, 1 gallon"), "embedding", 0.4),
    )
    assert unsure.route == "cloud" and "unsure" in unsure.reason
    milk = HeldItem(_product(catalog, "Whole milk, 1 gallon"), "barcode", 0.99)
    advice = _route(catalog, "is this good for a toddler", held=milk)
    assert advice.route == "cloud" and advice.reason.startswith("open question about the held")


def test_low_confidence_on_a_long_utterance_escalates(catalog: Catalog) -> None:
    text = "where can I find the AA batteries for my son's remote control car"
    decision = _route(catalog, text, stt_confidence=0.2)
    assert decision.route == "cloud" and "low speech-recognition confidence" in decision.reason
    short = _route(catalog, "AA batteries", stt_confidence=0.2)
    assert short.route == "local"  # a short phrase that matches the catalog exactly


def _tie_store_catalog(tmp_path: Path) -> Catalog:
    (tmp_path / "store.toml").write_text(
        '[store]\nname = "Tie"\n'
        '[[shelf]]\nid = "A"\nlabel = "Aisle 1"\n'
        '[[shelf]]\nid = "B"\nlabel = "Aisle 2"\n'
        '[[shelf]]\nid = "C"\nlabel = "Aisle 3"\n'
        '[[product]]\nname = "Tomato soup"\naliases = ["tomato soup"]\nshelf = "A"\nprice = 1.29\n'
        '[[product]]\nname = "Tomato sauce"\naliases = ["tomato sauce"]\nshelf = "B"\n'
        "price = 2.49\n"
        '[[product]]\nname = "Tomato paste"\naliases = ["tomato paste"]\nshelf = "C"\n'
        "price = 0.99\n",
        encoding="utf-8",
    )
    return Catalog(load_store(tmp_path))


def test_several_close_matches_get_one_clarifying_question(tmp_path: Path) -> None:
    catalog = _tie_store_catalog(tmp_path)
    decision = _route(catalog, "where is the tomato")
    assert decision.route == "local" and decision.clarifying and decision.product is None
    assert local_reply(decision, catalog.store) == (
        "We have a few. Did you mean the tomato paste, the tomato sauce or the tomato soup?"
    )
    pending = Clarification(decision.intent, decision.choices)
    answer = _route(catalog, "the sauce", pending=pending)
    assert answer.route == "local" and answer.source == "clarified"
    assert answer.product is not None and answer.product.shelf == "B"


def test_two_close_prices_are_both_named(tmp_path: Path) -> None:
    (tmp_path / "store.toml").write_text(
        '[store]\nname = "Tea"\n[[shelf]]\nid = "A"\nlabel = "Aisle 1"\n'
        '[[product]]\nname = "Lipton black tea"\naliases = ["tea"]\nshelf = "A"\nprice = 4.79\n'
        '[[product]]\nname = "Twinings green tea"\naliases = ["tea"]\nshelf = "A"\n'
        "price = 5.25\n",
        encoding="utf-8",
    )
    catalog = Catalog(load_store(tmp_path))
    price = _route(catalog, "how much is the tea")
    assert price.route == "local" and price.runner_up is not None
    assert local_reply(price, catalog.store) == (
        "The Lipton black tea is 4.79, and the Twinings green tea is 5.25. Both are in aisle 1."
    )
    where = _route(catalog, "where is the tea")  # same shelf: one answer serves both
    assert where.runner_up is None and not where.choices
    assert local_reply(where, catalog.store).startswith("The Lipton black tea is in aisle 1.")


def _engine(catalog: Catalog, *lines: str) -> TurnEngine:
    return TurnEngine(catalog, LoudnessVad(), ScriptedStt(*lines), ToneTts(), clock=lambda: 0.0)


class _Camera:
    def __init__(self, scene: Scene | None) -> None:
        self.scene = scene
        self.asked: list[int | None] = []

    def latest(self, not_after_ns: int | None = None) -> Scene | None:
        self.asked.append(not_after_ns)
        return self.scene


def test_engine_answers_a_held_product_and_sends_the_frame_on_escalation(
    catalog: Catalog,
) -> None:
    camera = _Camera(
        Scene(10, people=1, held=HeldProduct("0041333424019", "barcode", 0.98), frame_jpeg=b"jpg")
    )
    engine = _engine(catalog)
    engine.scene = camera
    cloud = ScriptedCloud(("Yes, alkaline AA cells are fine for toys.", None))
    engine.cloud = cloud  # type: ignore[assignment]
    local = engine.answer(Transcript("how much are these", 0.9, 0.0), ended_ns=42)
    assert camera.asked == [42]
    assert local.decision.route == "local" and local.shelf is not None
    assert local.shelf.id == "A5-L" and local.reply_text.startswith("That's the Duracell")
    cloud_turn = engine.answer(Transcript("are these safe for a kid's toy", 0.9, 0.0))
    assert cloud_turn.decision.route == "cloud"
    [request] = cloud.requests
    assert isinstance(request, CloudRequest) and request.frame_jpeg == b"jpg"
    assert "Shopper held up: Duracell AA batteries, 8 pack." in request.context
    assert 'asked "how much are these"; kiosk answered Duracell AA batteries' in request.context
    completed = cloud_turn.completed(latency_ms=812.0)
    assert completed.route == "cloud" and completed.latency_ms == 812.0
    assert completed.total_tokens == 100


def test_context_is_redacted_bounded_and_cleared(catalog: Catalog) -> None:
    engine = _engine(catalog)
    engine.answer(Transcript("my number is 555 123 4567, where is the milk", 0.9, 0.0))
    summary = engine.context.summary()
    assert "[phone]" in summary and "4567" not in summary
    for _ in range(20):
        engine.answer(Transcript("where are the AA batteries", 0.9, 0.0))
    assert len(engine.context.summary()) <= engine.context.options.max_chars
    engine.end_visit()
    assert engine.context.summary() == "" and engine.context.pending is None
    assert engine.context.visits == 1


def test_a_clarifying_question_is_remembered_for_the_next_turn(tmp_path: Path) -> None:
    engine = _engine(_tie_store_catalog(tmp_path))
    first = engine.answer(Transcript("where is the tomato", 0.9, 0.0))
    assert first.decision.clarifying and first.shelf is None
    second = engine.answer(Transcript("the paste", 0.9, 0.0))
    assert second.decision.source == "clarified"
    assert second.shelf is not None and second.shelf.id == "C"
    assert isinstance(engine.context, VisitContext) and engine.context.pending is None


def test_a_near_miss_gets_a_second_listen_with_a_catalog_hint(catalog: Catalog) -> None:
    stt = ScriptedStt("do you have pain kilos", "do you have pain killers")
    engine = TurnEngine(catalog, LoudnessVad(), stt, ToneTts(), clock=lambda: 0.0)
    audio = Conversation(2).add_user_speech(0.3, 1.5).audio
    result = engine.run(audio)
    assert result.decision.route == "local" and result.shelf is not None
    assert result.shelf.id == "P2" and result.transcript == "do you have pain killers"
    assert result.decision.reason.endswith("heard on a second listen with a catalog hint")
    assert stt.prompts[1] is not None and "pain killers" in stt.prompts[1]
    assert "stt_recheck" in result.timings_ms


def test_a_second_listen_that_names_something_else_is_not_trusted(catalog: Catalog) -> None:
    stt = ScriptedStt("do you have pain kilos", "do you have whole milk")
    engine = TurnEngine(catalog, LoudnessVad(), stt, ToneTts(), clock=lambda: 0.0)
    result = engine.run(Conversation(2).add_user_speech(0.3, 1.5).audio)
    assert result.decision.route == "fallback" and result.shelf is None
    assert result.transcript == "do you have pain kilos"
    assert "stt_recheck" in result.timings_ms  # the second listen's time still counts


def test_clear_and_hopeless_questions_are_heard_once(catalog: Catalog) -> None:
    for line in ("where are the AA batteries", "where do you keep the garden hoses"):
        stt = ScriptedStt(line, "should not be asked")
        engine = TurnEngine(catalog, LoudnessVad(), stt, ToneTts(), clock=lambda: 0.0)
        result = engine.run(Conversation(2).add_user_speech(0.3, 1.5).audio)
        assert len(stt.heard) == 1 and "stt_recheck" not in result.timings_ms


def test_common_answers_are_prewarmed_while_no_turn_runs(catalog: Catalog) -> None:
    import threading

    from kiosk.agent.prewarm import common_sentences, prewarm
    from kiosk.agent.speech_cache import SentenceCache

    sentences = list(common_sentences(catalog.store))
    assert "The Duracell AA batteries are in aisle 5, left side." in sentences
    assert len(sentences) == len(set(sentences))
    tts = ToneTts()
    cache = SentenceCache(tts)
    idle, stop = threading.Event(), threading.Event()
    idle.set()
    assert prewarm(cache, catalog.store, idle, stop) == len(sentences)
    assert "They're 9.99." in cache
    spoken = len(tts.spoken)
    list(cache.stream("The Duracell AA batteries are in aisle 5, left side. They're 9.99."))
    assert len(tts.spoken) == spoken and cache.hits == 2  # both sentences came from memory
    idle.clear()
    stop.set()
    assert prewarm(SentenceCache(ToneTts()), catalog.store, idle, stop) == 0


def test_prewarming_steps_aside_mid_sentence_when_a_turn_begins(catalog: Catalog) -> None:
    import threading

    from kiosk.agent.prewarm import common_sentences, prewarm
    from kiosk.agent.speech_cache import SentenceCache

    idle, stop = threading.Event(), threading.Event()
    idle.set()

    class PiecesTts(ToneTts):
        """Three pieces a sentence; a turn begins during the first sentence, ends soon after."""

        def stream(self, text: str) -> Iterator[SpeechChunk]:
            self.spoken.append(text)
            for piece in range(3):
                if len(self.spoken) == 2 and piece == 1:
                    idle.clear()
                    threading.Timer(0.05, idle.set).start()
                yield SpeechChunk(np.ones(100, np.int16), self.sample_rate, text)

    tts = PiecesTts()
    cache = SentenceCache(tts)
    assert cache.warm("Aisle 5.", keep_going=lambda: False) is None
    assert "Aisle 5." not in cache  # half made: nothing kept
    sentences = list(common_sentences(catalog.store))
    assert prewarm(cache, catalog.store, idle, stop) == len(sentences)
    assert tts.spoken[1:3] == [sentences[0], sentences[0]]  # dropped, then made again
    assert all(sentence in cache for sentence in sentences)
