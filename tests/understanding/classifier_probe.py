"""Run by test_classifier.py with Rasa's Python (.venv-rasa): trains nlu/components' intent
classifier on a few questions through Rasa's own model storage, loads it back, and prints what it
reads as JSON. Not a test module itself: the bot's environment has no Rasa.

Usage: python classifier_probe.py COMPONENTS_DIR WORK_DIR < {"train": [[text, intent], …], "ask": [text, …]}
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from wegweiser_classifier import CharSvmIntentClassifier


def main() -> None:
    request = json.load(sys.stdin)
    storage = LocalModelStorage(Path(sys.argv[2]))
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "probe")
    trained = CharSvmIntentClassifier.create({}, storage, resource, context)
    trained.train(TrainingData([Message(data={"text": t, "intent": i}) for t, i in request["train"]]))
    loaded = CharSvmIntentClassifier.load({}, storage, resource, context)

    def read(component: CharSvmIntentClassifier) -> list[dict[str, object]]:
        messages = component.process([Message(data={"text": text}) for text in request["ask"]])
        return [{"intent": m.get("intent"), "ranking": m.get("intent_ranking")} for m in messages]

    print(json.dumps({"temperature": trained.temperature, "trained": read(trained), "loaded": read(loaded)}))


if __name__ == "__main__":
    main()
