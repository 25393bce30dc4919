#!/usr/bin/env python3
"""Synth cost of the sample app, measured side by side with two references in one run (prints, never asserts).

Three variants, each synthesized in a fresh ``python -c`` process (same interpreter, same environment, cwd = the
repository root), timed wall-clock from process start to exit:

  floor   an empty CDK app: one stack with one trivial resource (the jsii start-up floor);
  sample  every stack of app.py (``build_sample_app(app)``, then ``app.synth()``);
  plain   plain aws-cdk-lib L2 resources (buckets, queues, topics, log groups, roles, functions with inline code
          and their grants), sized to about the same number of CloudFormation resources as the sample.

All three get cdk.json's context plus ``aws:cdk:bundling-stacks: []`` (Lambda bundling skipped), and run
interleaved (floor, sample, plain, floor, ...) for --rounds rounds after one untimed warm-up/calibration round.
Resources are counted from the synthesized templates. Reported figures:

  (a) sample / floor                                         target <= 2x
  (b) (sample - floor) per resource / (plain - floor) per resource   target <= 1.3x
      (per resource = divided by the resources the app has beyond the floor's one)

Usage: python benchmarks/synth.py [--rounds N]   (node must be on PATH, as for `make bench`)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_PRELUDE = """
import json, sys
import aws_cdk as cdk
context = json.loads(open("cdk.json").read())["context"]
context["aws:cdk:bundling-stacks"] = []  # Lambda bundling skipped
app = cdk.App(context=context, outdir=sys.argv[1])
"""

FLOOR = (
    _PRELUDE
    + """
stack = cdk.Stack(app, "Floor")
cdk.CfnWaitConditionHandle(stack, "Trivial")
app.synth()
"""
)

SAMPLE = (
    _PRELUDE
    + """
import app as sample_app
sample_app.build_sample_app(app)
app.synth()
"""
)

PLAIN = (
    _PRELUDE
    + """
from aws_cdk import aws_iam as iam, aws_lambda as lambda_, aws_logs as logs, aws_s3 as s3, aws_sns as sns
from aws_cdk import aws_sqs as sqs
units, extra = int(sys.argv[2]), int(sys.argv[3])
stack = cdk.Stack(app, "PlainL2")
for i in range(units):
    bucket = s3.Bucket(stack, f"Bucket{i}", encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True)
    queue = sqs.Queue(stack, f"Queue{i}", encryption=sqs.QueueEncryption.SQS_MANAGED)
    topic = sns.Topic(stack, f"Topic{i}")
    log_group = logs.LogGroup(stack, f"Logs{i}", retention=logs.RetentionDays.ONE_MONTH)
    function = lambda_.Function(
        stack, f"Function{i}", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return event\\n"), log_group=log_group,
    )
    bucket.grant_read(function)
    queue.grant_send_messages(function)
    topic.grant_publish(function)
    role = iam.Role(stack, f"Role{i}", assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"))
    bucket.grant_write(role)
for j in range(extra):
    sqs.Queue(stack, f"Extra{j}", encryption=sqs.QueueEncryption.SQS_MANAGED)
app.synth()
"""
)


def synth(code: str, *args: str) -> tuple[float, int]:
    """Wall time of one fresh synth process, and the number of CloudFormation resources it synthesized."""
    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    with tempfile.TemporaryDirectory(prefix="synth-bench-") as outdir:
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", code, outdir, *args], cwd=REPO, env=env, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"synth failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
        resources = sum(
            len(json.loads(path.read_text()).get("Resources", {})) for path in Path(outdir).glob("*.template.json")
        )
    return elapsed, resources


def calibrate_plain(target: int) -> tuple[list[str], int]:
    """Units of L2 resources (+ single extra queues) that give ``target`` resources; also the warm-up runs."""
    _, one = synth(PLAIN, "1", "0")
    _, two = synth(PLAIN, "2", "0")
    per_unit, base = two - one, 2 * one - two
    units = max(1, (target - base) // per_unit)
    extra = max(0, target - base - units * per_unit)
    return [str(units), str(extra)], per_unit


def describe(name: str, times: list[float], resources: int) -> str:
    return (
        f"  {name:<7} {resources:>4} resources   median {statistics.median(times):6.2f} s"
        f"   min {min(times):6.2f} s   max {max(times):6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timed rounds (default 5)")
    args = parser.parse_args()

    print(f"Synth benchmark: {args.rounds} interleaved rounds (floor, sample, plain), {sys.executable}")
    print("Lambda bundling is skipped in all variants via the context aws:cdk:bundling-stacks = [] (+ cdk.json).")
    _, floor_resources = synth(FLOOR)  # warm-up (untimed)
    _, sample_resources = synth(SAMPLE)
    plain_args, per_unit = calibrate_plain(sample_resources)
    print(
        f"Plain L2 app: {plain_args[0]} units of {per_unit} resources (bucket, queue, topic, log group, inline "
        f"function, role, grants) + {plain_args[1]} extra queue(s)."
    )

    variants = {"floor": (FLOOR, ()), "sample": (SAMPLE, ()), "plain": (PLAIN, tuple(plain_args))}
    times: dict[str, list[float]] = {name: [] for name in variants}
    counts: dict[str, int] = {}
    for round_number in range(1, args.rounds + 1):
        line = []
        for name, (code, extra_args) in variants.items():
            elapsed, counts[name] = synth(code, *extra_args)
            times[name].append(elapsed)
            line.append(f"{name} {elapsed:.2f} s")
        print(f"  round {round_number}: " + ", ".join(line))

    print("Wall time per fresh process (import + build + synth):")
    for name in variants:
        print(describe(name, times[name], counts[name]))
    floor, sample, plain = (statistics.median(times[name]) for name in ("floor", "sample", "plain"))
    ratio_a = sample / floor
    sample_per_resource = (sample - floor) / max(1, counts["sample"] - counts["floor"])
    plain_per_resource = (plain - floor) / max(1, counts["plain"] - counts["floor"])
    ratio_b = sample_per_resource / plain_per_resource if plain_per_resource > 0 else float("inf")
    print(f"(a) sample / floor = {sample:.2f} s / {floor:.2f} s = {ratio_a:.2f}x (target <= 2x)")
    print(
        f"(b) synth cost per resource beyond the floor: sample {sample_per_resource * 1000:.1f} ms "
        f"({counts['sample']} resources), plain L2 {plain_per_resource * 1000:.1f} ms ({counts['plain']} resources)"
        f" -> {ratio_b:.2f}x (target <= 1.3x)"
    )
    if floor_resources != counts["floor"]:  # pragma: no cover - the floor app is fixed
        print(f"note: the floor's resource count changed between runs ({floor_resources} -> {counts['floor']})")


if __name__ == "__main__":
    main()
