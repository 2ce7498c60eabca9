"""`wegweiser nlu train | serve | evaluate`: the NLU service from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.content.loader import ContentError, load
from bot.settings import load_settings
from bot.understanding import service
from bot.understanding.evaluation import as_json, as_table, evaluate


def register(subparsers: Any) -> None:
    nlu = subparsers.add_parser("nlu", help="train, serve and evaluate the language understanding (Rasa)")
    commands = nlu.add_subparsers(dest="nlu_command", metavar="NLU_COMMAND", required=True)

    train = commands.add_parser("train", help="train the NLU model when its inputs changed")
    train.add_argument("--force", action="store_true", help="train even when the model is up to date")
    train.set_defaults(handler=_train)

    serve = commands.add_parser("serve", help="start Rasa on RASA_URL (training first if needed)")
    serve.set_defaults(handler=_serve)

    evaluate_ = commands.add_parser("evaluate", help="measure accuracy on held-out example questions")
    evaluate_.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate_.add_argument("--holdout", type=float, default=0.2, help="share of questions held out (0.2)")
    evaluate_.add_argument("--seed", type=int, default=13, help="seed of the split (13)")
    evaluate_.add_argument(
        "--config", type=Path, help="another Rasa pipeline to measure (default nlu/config.yml)"
    )
    evaluate_.add_argument(
        "--matcher-only", action="store_true", help="measure only the degraded-mode matcher"
    )
    evaluate_.set_defaults(handler=_evaluate)


def _fail(line: str, code: int) -> int:
    print(f"wegweiser: {line}", file=sys.stderr)
    return code


def _train(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        path = service.train(settings, force=args.force, progress=lambda line: print(line, flush=True))
    except ContentError as error:
        return _fail(error.for_operators, 2)
    except service.NluError as error:
        return _fail(str(error), 1)
    print(path)
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        process = service.start_server(settings, progress=lambda line: print(line, flush=True))
    except ContentError as error:
        return _fail(error.for_operators, 2)
    except service.NluError as error:
        return _fail(str(error), 1)
    print(f"Rasa answers at {settings.rasa_url} (pid {process.pid}; log {settings.var_dir / 'rasa.log'})")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    if not 0 < args.holdout < 1:  # also refuses nan
        return _fail("nlu evaluate: --holdout must be a share between 0 and 1, such as 0.2", 2)
    if args.config is not None and not args.config.is_file():
        return _fail(f"nlu evaluate: --config {args.config} is not a file", 2)
    settings = load_settings()

    # Progress goes to stderr so that --json output stays machine-readable.
    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        reports = evaluate(
            service.NluProject.default(),
            load(settings.content_dir),
            holdout=args.holdout,
            seed=args.seed,
            config=args.config,
            engines=("matcher",) if args.matcher_only else ("rasa", "matcher"),
            progress=progress,
        )
    except ContentError as error:
        return _fail(error.for_operators, 2)
    except service.NluError as error:
        return _fail(str(error), 1)
    print(json.dumps(as_json(reports), indent=2) if args.json else as_table(reports))
    return 0
