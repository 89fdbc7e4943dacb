"""Peak memory reading Inspect `.json` logs of growing size: flat when samples are streamed.

Usage: python bench/transcripts_inspect_memory.py [--samples 500,5000] [--pad 10000]

Writes Inspect EvalLog `.json` files (the test fixture's sample repeated, each padded with `--pad`
bytes of metadata, as real samples carry long messages), then reads every rollout of each in a
fresh process with `specgap.inputs.transcripts.read` and prints the file size, the rollouts read,
the process's peak RSS and its CPU seconds. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "transcripts" / "formats" / "inspect_log.json"
READER = """
import resource, sys, time
from specgap.inputs import transcripts
c = time.process_time()
n = sum(1 for _ in transcripts.read(sys.argv[1]))
ru = resource.getrusage(resource.RUSAGE_SELF)
print(n, ru.ru_maxrss // 1024, round(time.process_time() - c, 2))
"""


def write_log(path: Path, samples: int, pad: int) -> None:
    log = json.loads(FIXTURE.read_text())
    base = log.pop("samples")[0]
    head = json.dumps(log)[:-1]  # the log without its closing brace, samples written one by one
    with path.open("w") as out:
        out.write(head + ', "samples": [')
        for i in range(samples):
            s = copy.deepcopy(base)
            s["id"], s["metadata"] = f"s{i}", {"padding": "x" * pad}
            out.write(("," if i else "") + json.dumps(s))
        out.write("]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", default="500,5000")
    ap.add_argument("--pad", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.samples.split(",")):
            path = Path(tmp) / f"log_{n}.json"
            write_log(path, n, args.pad)
            out = subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True, text=True, check=True)
            rollouts, peak_mb, cpu = out.stdout.split()
            print(f"{path.stat().st_size / 2**20:8.1f} MB log, {rollouts} rollouts: peak RSS {peak_mb} MB, {cpu} CPU s")


if __name__ == "__main__":
    main()
