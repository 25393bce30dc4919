#!/usr/bin/env python3
"""Keyword engine throughput and the deployed size / cold import time of the two-way SMS functions (prints only).

Usage (from the repository root):

    .venv/bin/python benchmarks/keywords.py                  # 100,000 messages, 5 rounds, 7 cold imports
    .venv/bin/python benchmarks/keywords.py --messages 20000 --rounds 3 --imports 3
    .venv/bin/python benchmarks/keywords.py --skip-functions # keyword engine only (no pip, no network)

1. Keyword engine. ``--messages`` inbound bodies, seeded and deterministic: about 85 % conversation (short
   replies, questions, emoji, other languages, sentences that contain a keyword such as "stop by tomorrow" or
   "the weekend", 4 % long messages of 300-1600 characters) and 15 % keywords as people type them (any case,
   whitespace, punctuation, emoji, repetitions). ``KeywordEngine.classify`` runs over all of them ``--rounds``
   times; the best round is reported as messages per second, overall and per category. For comparison the same
   run counts how many *conversation* messages the reference architecture's substring test ("body contains
   STOP/END/...") would have opted out.

2. Functions. For ``lambda_src/two_way_inbound`` and ``lambda_src/origination_two_way``:
   * the shared layer is built the way the constructs build it (``PipLayerBundling`` of
     ``pinpoint_constructs.core.python_function``: ``pip install --platform manylinux2014_aarch64
     --only-binary=:all: --no-compile --target`` of ``lambda_src/requirements.txt`` + ``pinpoint_runtime``);
   * deployed size unzipped = function folder + layer (boto3/botocore are provided by the Lambda runtime and are
     not deployed), target < 10 MB;
   * cold import time of ``handler``: a fresh ``python -B -S`` process per sample with the function folder, then
     the layer, then this interpreter's site-packages (for boto3, as the runtime provides it) on ``sys.path``; no
     bytecode is written or present for the function and layer (Lambda's /var/task and /opt are read-only and the
     layer is built with --no-compile), so every sample compiles them like a cold start. The time of the
     ``import handler`` statement itself; median and min of ``--imports`` samples; target < 300 ms. Measured
     with this interpreter on this machine (Lambda runs Python 3.13 on arm64). For comparison the same is
     measured with the function and layer precompiled to bytecode (what a layer built with the runtime's own
     Python version, without --no-compile, would give).
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # aws-cdk-lib is imported for the layer
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
ROOT = Path(__file__).resolve().parents[1]
LAMBDA_SRC = ROOT / "lambda_src"
for _path in (ROOT, LAMBDA_SRC):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pinpoint_runtime.sms.keyword_rules import AWS_OPT_OUT_KEYWORDS, KeywordAction, KeywordRule, ProgramInfo
from pinpoint_runtime.sms.keywords import KeywordEngine

FUNCTIONS = ("two_way_inbound", "origination_two_way")
SIZE_TARGET_BYTES = 10 * 1000 * 1000
IMPORT_TARGET_MS = 300.0
SEED = 20260301

ENGINE = KeywordEngine(
    ProgramInfo("Example Shop Alerts", "1-800-555-0199", "up to 4 msgs/month"),
    custom_rules=(
        KeywordRule("HOURS", KeywordAction.AUTO_RESPONSE, "Open 9am-5pm, Mon-Fri."),
        KeywordRule("INFO", KeywordAction.HELP),
    ),
)

SHORT_REPLIES = [
    "Yes please",
    "No thanks",
    "ok",
    "OK 👍",
    "Thanks!",
    "thank you so much 🙏",
    "Sure, 3pm works",
    "Can't make it",
    "Who is this?",
    "Where is my order?",
    "What time do you open?",
    "Is the sale still on?",
    "👍",
    "😂😂",
    "Sí, gracias",
    "Merci beaucoup",
    "Danke",
    "はい",
    "好的，谢谢",
    "Can I reschedule to Friday?",
    "Running late",
    "Please call me back",
    "My code didn't arrive",
    "Wrong number",
    "How much is shipping to Canada?",
]
NEAR_MISSES = [
    "stop by tomorrow",
    "Please stop sending me these",
    "Can you stop at 5?",
    "See you at the weekend",
    "SEND me the link",
    "My friend told me about you",
    "I want to cancel my order",
    "The end of the month works",
    "Remove item 2 from my cart",
    "Quit asking lol",
    "Help me track my parcel",
    "Start time?",
    "yes but later",
    "STOP STOP STOP!!! wait no",
    "stopall of it",
    "opt out of what?",
    "HELP!!! my package is lost",
]
SENTENCES = [
    "I ordered the blue jacket last week and it still has not arrived.",
    "Could you tell me whether the store on Main Street is open on Sunday afternoon?",
    "The tracking page says delivered but there is nothing at my door.",
    "My daughter wants to know if the discount code also works for online orders.",
    "We will stop by tomorrow around noon to pick it up, if that works for you.",
    "Honestly the service was great, thanks to the team for the quick help 😊.",
    "Por favor envíenme la factura del pedido número 45821.",
    "Est-ce que je peux changer l'adresse de livraison avant l'expédition ?",
]
KEYWORD_FORMS = [*AWS_OPT_OUT_KEYWORDS, "STOPALL", "START", "UNSTOP", "YES", "HELP", "INFO", "HOURS"]
DECORATIONS = ["", "", "", ".", "!", "!!", "?", " 🛑", " 😡", " 🙏", "\n", " ", "..."]


def _typed(keyword: str, rng: random.Random) -> str:
    style = rng.random()
    text = keyword.lower() if style < 0.4 else keyword.capitalize() if style < 0.7 else keyword
    if rng.random() < 0.05:
        text = f"{text} {text}"
    return rng.choice(["", "", " "]) + text + rng.choice(DECORATIONS)


def _long(rng: random.Random) -> str:
    target = rng.randint(300, 1600)
    text = ""
    while len(text) < target:
        text += rng.choice(SENTENCES) + " "
    return text[:target].strip()


def generate(count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """(category, body) pairs: ``conversation``, ``near-miss``, ``long`` or ``keyword``."""
    rng = random.Random(seed)
    messages: list[tuple[str, str]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.15:
            messages.append(("keyword", _typed(rng.choice(KEYWORD_FORMS), rng)))
        elif roll < 0.19:
            messages.append(("long", _long(rng)))
        elif roll < 0.29:
            messages.append(("near-miss", rng.choice(NEAR_MISSES)))
        elif roll < 0.60:
            messages.append(("conversation", rng.choice(SHORT_REPLIES)))
        else:
            messages.append(("conversation", " ".join(rng.sample(SENTENCES, rng.randint(1, 2)))))
    return messages


def substring_opt_out(body: str) -> bool:
    """The reference architecture's test (upper-cased body *contains* an opt-out keyword). Do not use."""
    upper = body.upper()
    return any(keyword in upper for keyword in AWS_OPT_OUT_KEYWORDS)


def bench_engine(count: int, rounds: int) -> None:
    messages = generate(count)
    bodies = [body for _, body in messages]
    classify = ENGINE.classify
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for body in bodies:
            classify(body)
        best = min(best, time.perf_counter() - start)
    by_category: dict[str, list[str]] = {}
    for category, body in messages:
        by_category.setdefault(category, []).append(body)
    print("Keyword engine (KeywordEngine.classify, whole-message match)")
    print(f"  messages            {count:,} ({', '.join(f'{k} {len(v):,}' for k, v in sorted(by_category.items()))})")
    print(
        f"  throughput          {count / best:,.0f} messages/s  ({best / count * 1e6:.2f} us/message, best of "
        f"{rounds} rounds)"
    )
    for category, group in sorted(by_category.items()):
        elapsed = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for body in group:
                classify(body)
            elapsed = min(elapsed, time.perf_counter() - start)
        mean_chars = statistics.fmean(len(body) for body in group)
        print(f"    {category:<13}     {len(group) / elapsed:>12,.0f} messages/s  (mean {mean_chars:,.0f} chars)")
    decisions = Counter(
        (category, rule.action.value if rule else "none")
        for (category, _), rule in zip(messages, map(classify, bodies), strict=False)
    )
    keywords_found = sum(n for (category, action), n in decisions.items() if category == "keyword" and action != "none")
    false_keywords = sum(n for (category, action), n in decisions.items() if category != "keyword" and action != "none")
    substring_hits = sum(1 for category, body in messages if category != "keyword" and substring_opt_out(body))
    non_keywords = count - len(by_category.get("keyword", []))
    print(f"  keywords recognised {keywords_found:,} of {len(by_category.get('keyword', [])):,} typed keywords")
    print(f"  non-keyword messages classified as a keyword: {false_keywords:,} of {non_keywords:,} (expected 0)")
    print(
        f"  reference substring matcher would opt out {substring_hits:,} of those {non_keywords:,} "
        f"({substring_hits / non_keywords:.1%})"
    )


# --------------------------------------------------------------------------------------------- functions


def build_layer(target: Path) -> Path:
    """The shared layer exactly as the constructs bundle it; returns its root (the folder holding python/)."""
    from pinpoint_constructs.core.python_function import PipLayerBundling, library_runtime

    runtime = library_runtime(None)  # type: ignore[arg-type]  # the scope is not used
    if not PipLayerBundling(LAMBDA_SRC, runtime).try_bundle(str(target)):
        raise SystemExit("pip is not available: cannot build the layer")
    return target


def tree_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


_IMPORT_PROBE = """
import sys, time
sys.path[:0] = [{function!r}, {layer!r}]
sys.path.append({site!r})
start = time.perf_counter()
import handler
print((time.perf_counter() - start) * 1000)
"""


def cold_import_ms(function_dir: Path, layer_python: Path, samples: int) -> list[float]:
    site = sysconfig.get_paths()["purelib"]
    probe = _IMPORT_PROBE.format(function=str(function_dir), layer=str(layer_python), site=site)
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "PinpointConstructs",
        "IDEMPOTENCY_TABLE": "bench-idempotency",
        "DEAD_LETTER_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/bench-dlq",
        "OPT_OUT_LIST_NAME": "bench-list",
        "OPT_OUT_REGISTRY_TABLE": "bench-registry",
        "KEYWORD_CONFIG": __import__("json").dumps(ENGINE.to_config()),
    }
    times = []
    for _ in range(samples):
        result = subprocess.run(
            [sys.executable, "-B", "-S", "-c", probe], capture_output=True, text=True, env=env, check=False
        )
        if result.returncode != 0:
            raise SystemExit(f"importing {function_dir.name}/handler failed:\n{result.stderr[-2000:]}")
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return times


def compiled_function(function_dir: Path) -> Path:
    target = function_dir.with_name(function_dir.name + "-compiled")
    shutil.copytree(function_dir, target)
    compileall.compile_dir(str(target), quiet=1)
    return target


def bench_functions(samples: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pinpoint-layer-") as temp:
        temp_dir = Path(temp)
        start = time.perf_counter()
        layer = build_layer(temp_dir / "layer")
        built_in = time.perf_counter() - start
        layer_python = layer / "python"
        layer_size = tree_bytes(layer)
        runtime_size = tree_bytes(layer_python / "pinpoint_runtime")
        print()
        print(f"Shared layer (built in {built_in:.1f} s with pip --platform manylinux2014_aarch64 --no-compile)")
        print(f"  size unzipped       {layer_size / 1e6:.2f} MB (pinpoint_runtime {runtime_size / 1e3:.0f} kB)")
        compiled_layer = temp_dir / "layer-compiled" / "python"
        shutil.copytree(layer_python, compiled_layer)
        compileall.compile_dir(str(compiled_layer), quiet=1, workers=0)
        for name in FUNCTIONS:
            source = LAMBDA_SRC / name
            print()
            if not (source / "handler.py").exists():
                print(f"{name}: no handler.py yet, skipped")
                continue
            function_dir = temp_dir / name
            shutil.copytree(source, function_dir, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            size = tree_bytes(function_dir) + layer_size
            times = cold_import_ms(function_dir, layer_python, samples)
            median = statistics.median(times)
            print(f"{name}")
            print(
                f"  deployed unzipped   {size / 1e6:.2f} MB (function {tree_bytes(function_dir) / 1e3:.0f} kB + "
                f"layer)   target < {SIZE_TARGET_BYTES / 1e6:.0f} MB   "
                f"{'OK' if size < SIZE_TARGET_BYTES else 'OVER'}"
            )
            print(
                f"  cold import handler median {median:.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms "
                f"({samples} fresh processes)   target < {IMPORT_TARGET_MS:.0f} ms   "
                f"{'OK' if median < IMPORT_TARGET_MS else 'OVER'}"
            )
            compiled = cold_import_ms(compiled_function(function_dir), compiled_layer, samples)
            print(
                f"  for comparison, with bytecode precompiled: median {statistics.median(compiled):.0f} ms "
                f"(the layer is built --no-compile and /opt is read-only, so Lambda compiles it on every cold "
                f"start)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--imports", type=int, default=7)
    parser.add_argument("--skip-functions", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]} on {sys.platform}")
    bench_engine(args.messages, args.rounds)
    if not args.skip_functions:
        bench_functions(args.imports)


if __name__ == "__main__":
    main()
