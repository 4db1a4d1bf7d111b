"""Does Bayesian supervision make learning robust to noisy labels? (issue 5's experiment)

Pure PPO, BC+PPO on raw labels and Bayesian-supervised PPO, at label noise 0, 0.2 and 0.4,
with equal env-step budgets and several seeds. For each noise level one synthetic corpus
(2,000 train-split dialogues, one noisy label each) is generated and one posterior fitted;
every run is an ``aisalesman train`` command (so this is also what a user would type).
Pure PPO uses no corpus, so its runs are shared by the three noise levels.

Writes ``OUT/results.json``, ``OUT/table.md`` and ``OUT/curves.png`` (held-out test-split
conversion of the greedy policy against env steps; mean over seeds, band = min..max).

    python examples/noise_robustness.py --out runs/noise_robustness            # the README figures
    python examples/noise_robustness.py --seeds 0 --env-steps 8000 --noise 0.2  # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

METHODS = ("ppo", "bc_ppo", "bayes_ppo")


def run(cmd: list[str], log: Path) -> None:
    with log.open("w") as fh:
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env={**os.environ, "RAY_AUTH_MODE": "disabled"})
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}; see {log}")


def curves(run_dir: Path) -> tuple[list[int], list[float]]:
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r.get("eval_conversion") is not None]
    return [r["env_steps"] for r in rows], [r["eval_conversion"] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/noise_robustness")
    ap.add_argument("--noise", default="0,0.2,0.4")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--env-steps", type=int, default=40000)
    ap.add_argument("--corpus-n", type=int, default=2000)
    ap.add_argument("--eval-episodes", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2, help="training runs at once")
    ap.add_argument("--target", type=float, default=0.3, help="conversion level for the steps-to-reach column")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    noises = [float(x) for x in args.noise.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    cli = [sys.executable, "-m", "aisalesman.cli"]

    # One corpus and one posterior per noise level.
    for nz in noises:
        d = out / f"noise_{nz}"
        d.mkdir(exist_ok=True)
        if not (d / "corpus.jsonl").exists():
            run(cli + ["corpus", "generate", "--n", str(args.corpus_n), "--label-noise", str(nz), "--seed", "0",
                       "--out", str(d / "corpus.jsonl")], d / "corpus.log")
        if not (d / "posterior.json").exists():
            run(cli + ["fit-bayes", "--corpus", str(d / "corpus.jsonl"), "--out", str(d / "posterior.json"),
                       "--method", "svi"], d / "posterior.log")

    common = [f"env_steps={args.env_steps}", f"eval.episodes={args.eval_episodes}", "eval.every=2",
              f"bc.anneal_steps={args.env_steps // 2}", "checkpoint_every=1000", "ray.num_cpus=1"]
    jobs = {}
    for seed in seeds:
        jobs[("ppo", None, seed)] = ["method=ppo"]
        for nz in noises:
            d = out / f"noise_{nz}"
            for method in ("bc_ppo", "bayes_ppo"):
                jobs[(method, nz, seed)] = [f"method={method}", f"corpus.path={d / 'corpus.jsonl'}",
                                            f"posterior.path={d / 'posterior.json'}"]

    def job(key):
        method, nz, seed = key
        run_dir = out / "runs" / f"{method}_{'na' if nz is None else nz}_s{seed}"
        if not (run_dir / "final").exists():
            run(cli + ["train", "--quiet", "--overwrite", "--out", str(run_dir), f"seed={seed}"] + jobs[key] + common,
                out / "runs" / f"{run_dir.name}.log")
        return key, curves(run_dir)

    (out / "runs").mkdir(exist_ok=True)
    with ThreadPoolExecutor(args.workers) as pool:
        results = dict(pool.map(job, list(jobs)))

    report = {"env_steps": args.env_steps, "seeds": seeds, "noise": noises, "target": args.target, "cells": {}}
    lines = ["| method | label noise | final test conversion (mean ± sd) | per seed | "
             f"env steps to {args.target:.0%} (mean; runs reaching it) |", "|---|---|---|---|---|"]
    for nz in noises:
        d = out / f"noise_{nz}"
        post = json.loads((d / "posterior.json").read_text())
        report.setdefault("posterior", {})[str(nz)] = {k: post["evaluation"].get(k) for k in
                                                       ("auc_posterior", "auc_raw_labels", "raw_label_rate",
                                                        "posterior_success_rate", "true_success_rate")}
        for method in METHODS:
            per = [results[(method, None if method == "ppo" else nz, s)] for s in seeds]
            finals = [c[1][-1] for c in per]
            reach = [next((st for st, v in zip(*c, strict=True) if v >= args.target), None) for c in per]
            hit = [r for r in reach if r is not None]
            cell = {"final": finals, "mean": float(np.mean(finals)), "sd": float(np.std(finals)),
                    "steps_to_target": reach}
            report["cells"][f"{method}@{nz}"] = cell
            lines.append(f"| {method} | {nz:g} | {cell['mean']:.1%} ± {cell['sd']:.1%} | "
                         f"{', '.join(f'{v:.1%}' for v in finals)} | "
                         f"{(f'{np.mean(hit):,.0f}' if hit else '-')}; {len(hit)}/{len(seeds)} |")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    report["curves"] = {f"{m}@{nz}@s{s}": results[(m, nz, s)] for (m, nz, s) in results}
    (out / "results.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    plot(results, noises, seeds, out / "curves.png", args.env_steps)
    print(table)
    print(f"wrote {out}/table.md, results.json, curves.png")


def plot(results, noises, seeds, path: Path, budget: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(noises), figsize=(4.2 * len(noises), 3.4), sharey=True, squeeze=False)
    for ax, nz in zip(axes[0], noises, strict=True):
        for method, colour in zip(METHODS, ("tab:grey", "tab:orange", "tab:blue"), strict=True):
            per = [results[(method, None if method == "ppo" else nz, s)] for s in seeds]
            n = min(len(c[0]) for c in per)
            steps = np.array(per[0][0][:n])
            vals = np.array([c[1][:n] for c in per])
            ax.plot(steps, vals.mean(0), color=colour, label=method)
            ax.fill_between(steps, vals.min(0), vals.max(0), color=colour, alpha=0.15)
        ax.set_title(f"label noise {nz:g}")
        ax.set_xlabel("env steps")
        ax.set_xlim(0, budget)
    axes[0][0].set_ylabel("test-split conversion (greedy)")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
