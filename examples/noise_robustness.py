"""Does Bayesian supervision make learning robust to noisy labels? (issue 5's experiment)

Pure PPO, BC+PPO on raw labels and Bayesian-supervised PPO, at label noise 0, 0.2 and 0.4,
with equal env-step budgets and several seeds. For each noise level one synthetic corpus
(2,000 train-split dialogues, one noisy label each) is generated and one posterior fitted;
every run is an ``aisalesman train`` command (so this is also what a user would type).
Pure PPO uses no corpus, so its runs are shared by the three noise levels.

Then, to see what the weights themselves do, a BC-only ablation: for each noise level and
seed, the act policy fitted by weighted behaviour cloning alone (no RL) with four weightings
of the same corpus turns (none, raw labels, posterior, true outcome), each evaluated greedy
and sampling on the test split.

Writes ``OUT/results.json``, ``OUT/table.md`` (the RL runs), ``OUT/bc_ablation.md`` and
``OUT/curves.png`` (held-out test-split conversion against env steps, greedy and sampling;
mean over seeds, band = min..max). Finished runs are reused.

    python examples/noise_robustness.py --out runs/noise_robustness            # the README figures
    python examples/noise_robustness.py --out runs/noise_robustness_mostly_bad --noise 0.4 \
        --methods bc_ppo,bayes_ppo --mix random=0.4,flawed=0.4,scripted=0.1,adaptive=0.1
    python examples/noise_robustness.py --seeds 0 --env-steps 8000 --noise 0.2  # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

METHODS = ("ppo", "bc_ppo", "bayes_ppo")
#: BC-only ablation weightings: dialogue id -> weight, from the corpus and its posterior.
WEIGHTINGS = ("none", "raw labels", "posterior", "true outcome")


def run(cmd: list[str], log: Path) -> None:
    with log.open("w") as fh:
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}; see {log}")


def curves(run_dir: Path) -> dict[str, list]:
    """Env steps and test conversion (greedy, sampling) at each evaluation of a run."""
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
    rows = [r for r in rows if r.get("eval_conversion") is not None]
    return {"steps": [r["env_steps"] for r in rows], "greedy": [r["eval_conversion"] for r in rows],
            "sampled": [r["eval_sampled_conversion"] for r in rows]}


def pct(values: list[float]) -> str:
    return f"{np.mean(values):.1%} ± {np.std(values):.1%}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/noise_robustness")
    ap.add_argument("--noise", default="0,0.2,0.4")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--mix", default="", help="the corpus salesmen, as for 'aisalesman corpus generate --mix'")
    ap.add_argument("--env-steps", type=int, default=40000)
    ap.add_argument("--corpus-n", type=int, default=2000)
    ap.add_argument("--eval-episodes", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2, help="training runs at once")
    ap.add_argument("--target", type=float, default=0.3, help="conversion level for the steps-to-reach column")
    ap.add_argument("--bc-steps", type=int, default=3000, help="BC-only ablation: Adam steps per policy (0 = skip)")
    ap.add_argument("--ablation-episodes", type=int, default=1000, help="BC-only ablation: test calls per policy")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    noises = [float(x) for x in args.noise.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    methods = [m for m in METHODS if m in args.methods.split(",")]
    cli = [sys.executable, "-m", "aisalesman.cli"]

    # One corpus and one posterior per noise level.
    for nz in noises:
        d = out / f"noise_{nz}"
        d.mkdir(exist_ok=True)
        if not (d / "corpus.jsonl").exists():
            run(cli + ["corpus", "generate", "--n", str(args.corpus_n), "--label-noise", str(nz), "--seed", "0",
                       "--out", str(d / "corpus.jsonl")] + (["--mix", args.mix] if args.mix else []), d / "corpus.log")
        if not (d / "posterior.json").exists():
            run(cli + ["fit-bayes", "--corpus", str(d / "corpus.jsonl"), "--out", str(d / "posterior.json"),
                       "--method", "svi"], d / "posterior.log")

    common = [f"env_steps={args.env_steps}", f"eval.episodes={args.eval_episodes}", "eval.every=2",
              f"bc.anneal_steps={args.env_steps // 2}", "checkpoint_every=1000", "ray.num_cpus=1"]
    jobs = {}
    for seed in seeds:
        if "ppo" in methods:
            jobs[("ppo", None, seed)] = ["method=ppo"]
        for nz in noises:
            d = out / f"noise_{nz}"
            for method in set(methods) - {"ppo"}:
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
        results = dict(pool.map(job, sorted(jobs, key=str)))

    report = {"env_steps": args.env_steps, "seeds": seeds, "noise": noises, "target": args.target, "mix": args.mix,
              "cells": {}}
    lines = ["| method | label noise | greedy, final | sampling, final | sampling, mean over the run | "
             f"env steps to {args.target:.0%} greedy (mean; runs reaching it) |", "|---|---|---|---|---|---|"]
    for nz in noises:
        post = json.loads((out / f"noise_{nz}" / "posterior.json").read_text())
        report.setdefault("posterior", {})[str(nz)] = {k: post["evaluation"].get(k) for k in
                                                       ("auc_posterior", "auc_raw_labels", "raw_label_rate",
                                                        "posterior_success_rate", "true_success_rate")}
        for method in methods:
            per = [results[(method, None if method == "ppo" else nz, s)] for s in seeds]
            reach = [next((st for st, v in zip(c["steps"], c["greedy"], strict=True) if v >= args.target), None)
                     for c in per]
            hit = [r for r in reach if r is not None]
            cell = {"greedy_final": [c["greedy"][-1] for c in per], "sampled_final": [c["sampled"][-1] for c in per],
                    "sampled_mean": [float(np.mean(c["sampled"])) for c in per], "steps_to_target": reach}
            report["cells"][f"{method}@{nz}"] = cell
            lines.append(f"| {method} | {nz:g} | {pct(cell['greedy_final'])} | {pct(cell['sampled_final'])} | "
                         f"{pct(cell['sampled_mean'])} | {(f'{np.mean(hit):,.0f}' if hit else '-')}; "
                         f"{len(hit)}/{len(seeds)} |")
    table = "\n".join(lines)
    (out / "table.md").write_text(table + "\n")
    report["curves"] = {f"{m}@{nz}@s{s}": results[(m, nz, s)] for (m, nz, s) in results}
    plot(results, methods, noises, seeds, out / "curves.png", args.env_steps)
    print(table)
    if args.bc_steps:
        report["bc_ablation"], ablation = bc_ablation(out, noises, seeds, args.bc_steps, args.ablation_episodes)
        (out / "bc_ablation.md").write_text(ablation + "\n")
        print(ablation)
    (out / "results.json").write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}/table.md{', bc_ablation.md' if args.bc_steps else ''}, results.json, curves.png")


def bc_ablation(out: Path, noises: list[float], seeds: list[int], steps: int, episodes: int) -> tuple[dict, str]:
    """Behaviour cloning alone, under each weighting of the same corpus turns."""
    import torch

    from aisalesman.core.seeding import derive_seed
    from aisalesman.data.corpus import read_corpus_jsonl
    from aisalesman.training.bayes import Posterior
    from aisalesman.training.data import bc_dataset, raw_label_weights
    from aisalesman.training.rllib import behaviour_clone
    from aisalesman.training.train import evaluate_policy, greedy, sampled

    report: dict = {}
    lines = ["| label noise | BC weights | mean weight by corpus salesman | greedy | sampling | "
             "greedy act = true-outcome BC's |", "|---|---|---|---|---|---|"]
    for nz in noises:
        d = out / f"noise_{nz}"
        corpus = read_corpus_jsonl(d / "corpus.jsonl")
        weights = {"none": {x.id: 1.0 for x in corpus}, "raw labels": raw_label_weights(corpus),
                   "posterior": Posterior.load(d / "posterior.json").weight_map(),
                   "true outcome": {x.id: float(x.true_success) for x in corpus}}
        agents = sorted({x.agent for x in corpus}, key=lambda a: -np.mean([x.true_success for x in corpus if x.agent == a]))
        data = {name: bc_dataset(corpus, w) for name, w in weights.items()}  # same turns, same order
        obs, mask = torch.as_tensor(data["none"].obs), torch.as_tensor(data["none"].mask)
        cells: dict = {name: {"greedy": [], "sampled": [], "agree": []} for name in WEIGHTINGS}
        for seed in seeds:
            modules = {name: behaviour_clone(data[name].arrays(), steps=steps, seed=seed) for name in WEIGHTINGS}
            with torch.no_grad():
                acts = {name: m.masked_logits(obs, mask).argmax(-1) for name, m in modules.items()}
            for name, m in modules.items():
                cells[name]["greedy"].append(evaluate_policy(greedy(m), episodes=episodes)["conversion"])
                cells[name]["sampled"].append(
                    evaluate_policy(sampled(m, derive_seed(seed, "ablation")), episodes=episodes)["conversion"])
                cells[name]["agree"].append(float((acts[name] == acts["true outcome"]).float().mean()))
        for name in WEIGHTINGS:
            by_agent = {a: float(np.mean([weights[name][x.id] for x in corpus if x.agent == a])) for a in agents}
            cells[name]["mean_weight_by_agent"] = by_agent
            lines.append(f"| {nz:g} | {name} | {' / '.join(f'{a} {w:.2f}' for a, w in by_agent.items())} | "
                         f"{pct(cells[name]['greedy'])} | {pct(cells[name]['sampled'])} | "
                         f"{np.mean(cells[name]['agree']):.1%} |")
        report[str(nz)] = cells
    return report, "\n".join(lines)


def plot(results, methods, noises, seeds, path: Path, budget: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(noises), figsize=(4.2 * len(noises), 6.4), sharey=True, squeeze=False)
    for row, kind in enumerate(("greedy", "sampled")):
        for ax, nz in zip(axes[row], noises, strict=True):
            for method, colour in zip(METHODS, ("tab:grey", "tab:orange", "tab:blue"), strict=True):
                if method not in methods:
                    continue
                per = [results[(method, None if method == "ppo" else nz, s)] for s in seeds]
                n = min(len(c["steps"]) for c in per)
                steps = np.array(per[0]["steps"][:n])
                vals = np.array([c[kind][:n] for c in per])
                ax.plot(steps, vals.mean(0), color=colour, label=method)
                ax.fill_between(steps, vals.min(0), vals.max(0), color=colour, alpha=0.15)
            ax.set_title(f"label noise {nz:g}, {'greedy' if kind == 'greedy' else 'sampling'} policy", fontsize=9)
            ax.set_xlabel("env steps")
            ax.set_xlim(0, budget)
            ax.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}k")
        axes[row][0].set_ylabel("test-split conversion")
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
