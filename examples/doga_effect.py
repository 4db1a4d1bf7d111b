"""Measure what DOGA does to the agents it wraps, on the built-in customers.

Each baseline salesman plays the held-out test personas, unwrapped and wrapped in DOGA
(``doga:<agent>``), with the same seeds. DOGA uses the shipped script library, which was
mined only from a synthetic corpus on the *train* personas (see the README for the two
commands that rebuild it). Reported per agent: conversion, the share of objections
resolved by the customer's next turn, and the share of salesman turns with a false claim;
then the wrapped-minus-unwrapped difference. Intervals are 95 % bootstrap intervals over
scenarios (persona x product).

Run: python examples/doga_effect.py [--trials 4] [--out runs/doga_effect]
"""

import argparse
import json

import aisalesman
from aisalesman.core.config import BenchmarkConfig
from aisalesman.evaluation.compare import compare_agents, comparison_markdown

BASES = ["random", "scripted", "adaptive", "flawed"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--personas", default="test")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/doga_effect")
    args = parser.parse_args()
    pairs = [(a, f"doga:{a}") for a in BASES]
    config = BenchmarkConfig(agents=[a for pair in pairs for a in pair], personas=args.personas, trials=args.trials,
                             seed=args.seed, out=args.out)
    result = aisalesman.run_benchmark(config, overwrite=True)
    with open(result.out / "transcripts.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    comparison = compare_agents(records, pairs)
    calls = len(records) // len(config.agents)
    print(f"DOGA effect: {args.personas} personas, {args.trials} trials, {calls} calls per agent, "
          f"{comparison['scenarios']} scenarios, seed {args.seed}")
    print(comparison_markdown(comparison, pairs))
