"""Import validation throughput: validate_file vs a reference-style loop vs the bare csv floor.

    python benchmarks/import_rows.py [--rows 1000000] [--workdir /tmp/import_bench]

Generates a seeded CSV (E.164, national US spellings, invalid numbers, emails; numbers drawn from a pool so
some repeat, as re-imports do), then runs each implementation in its own subprocess and reports rows/s and peak
RSS (resource.getrusage(RUSAGE_SELF).ru_maxrss). Also reruns validate_file at rows/10 for the memory ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = [f"{rng.choice([201, 202, 206, 212, 305, 415, 425, 512, 617, 718])}{rng.randint(2000000, 9999999)}"
            for _ in range(max(1000, rows // 4))]
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write("ChannelType,Address,User.UserId,FirstName,Location.Country,Metrics.score\n")
        for i in range(rows):
            r = rng.random()
            n = rng.choice(pool)
            if r < 0.45:
                channel, address = "SMS", "+1" + n
            elif r < 0.65:
                channel, address = "SMS", f"({n[:3]}) {n[3:6]}-{n[6:]}"
            elif r < 0.75:
                channel, address = "SMS", "1" + n
            elif r < 0.80:
                channel, address = "SMS", rng.choice(["12345", "+1555", "n/a", "+44 20 7946 09"])
            elif r < 0.97:
                channel, address = "EMAIL", f"user{i}@example.com"
            else:
                channel, address = "EMAIL", f"user{i}.example.com"
            f.write(f'{channel},{address},u{i},"Name, {i % 97}",US,{i % 10}\n')


CHILD = r'''
import csv, json, resource, sys, time
kind, path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if kind == "floor":
    with open(path, newline="", encoding="utf-8") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
elif kind == "ours":
    from pinpoint_runtime.endpoint_import import validate_file
    rows = validate_file(path).rows
elif kind == "parallel":
    from pinpoint_runtime.endpoint_import import validate_file_parallel
    rows = validate_file_parallel(path, workers=int(sys.argv[3])).rows
else:  # reference style: whole file in memory, phonenumbers for every row
    import phonenumbers
    with open(path, "rb") as f:
        data = f.read().decode("utf-8-sig")
    valid = 0
    records = list(csv.DictReader(data.splitlines()))
    for row in records:
        try:
            n = phonenumbers.parse(row["Address"], "US")
            if phonenumbers.is_valid_number(n):
                phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
                valid += 1
        except phonenumbers.NumberParseException:
            pass
    rows = len(records)
elapsed = time.perf_counter() - t
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"rows": rows, "seconds": elapsed, "peak_kb": peak}))
'''


def run(kind: str, path: Path, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'lambda_src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), *extra], check=True, capture_output=True,
                         text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/import_bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    big, small = args.workdir / f"rows_{args.rows}.csv", args.workdir / f"rows_{args.rows // 10}.csv"
    t = time.perf_counter()
    generate(big, args.rows)
    generate(small, args.rows // 10)
    print(f"generated {args.rows:,} rows ({big.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f}s")
    results = {
        "csv floor": run("floor", big),
        "validate_file": run("ours", big),
        "validate_file_parallel(2)": run("parallel", big, "2"),
        "reference style": run("reference", big),
    }
    print(f"{'implementation':28} {'rows/s':>10} {'seconds':>8} {'peak MB':>8}")
    for name, r in results.items():
        print(f"{name:28} {r['rows'] / r['seconds']:10,.0f} {r['seconds']:8.2f} {r['peak_kb'] / 1024:8.1f}")
    ours, floor, ref = results["validate_file"], results["csv floor"], results["reference style"]
    print(f"validate_file / csv floor time: {ours['seconds'] / floor['seconds']:.1f}x (target <= 20x)")
    print(f"validate_file speed vs reference style: {ref['seconds'] / ours['seconds']:.1f}x faster; "
          f"peak memory {ours['peak_kb'] / ref['peak_kb']:.2f}x of reference")
    small_ours = run("ours", small)
    print(f"validate_file peak memory {args.rows:,} rows vs {args.rows // 10:,}: "
          f"{ours['peak_kb'] / small_ours['peak_kb']:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
