"""RLlib integration: the loss, the BC gradient, masking, checkpoints, resume, fault tolerance, learning."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

import torch  # noqa: E402
from ray.rllib.algorithms.ppo.torch.ppo_torch_learner import PPOTorchLearner  # noqa: E402
from ray.rllib.core.columns import Columns  # noqa: E402
from ray.rllib.evaluation.postprocessing import Postprocessing  # noqa: E402

from aisalesman.agents.base import make_agent  # noqa: E402
from aisalesman.cli import main  # noqa: E402
from aisalesman.core.config import load_config  # noqa: E402
from aisalesman.core.errors import ConfigError, DataFileError  # noqa: E402
from aisalesman.dialogue.state import SALES_ACTS, SALESMAN_OBS_DIM  # noqa: E402
from aisalesman.training.config import TrainConfig  # noqa: E402
from aisalesman.training.rllib import (  # noqa: E402
    MODULE_ID,
    SalesmanMultiAgentEnv,
    bc_loss,
    behaviour_clone,
    build_algorithm_config,
    load_salesman_module,
)
from aisalesman.training.train import evaluate_policy, greedy, sampled, train  # noqa: E402

N_ACTS = len(SALES_ACTS)


def small(tmp_path: Path, *overrides: str) -> TrainConfig:
    base = ["env_steps=600", "ppo.train_batch_size=300", "ppo.minibatch_size=100", "ppo.num_epochs=2",
            "eval.episodes=10", "checkpoint_every=1", "corpus.n=120", "posterior.method=svi",
            "posterior.svi_steps=300", "posterior.samples=50", f"out={tmp_path / 'run'}", "ray.num_cpus=2"]
    return load_config(TrainConfig, overrides=base + list(overrides))


@pytest.fixture(scope="module")
def ray_session():
    import ray

    from aisalesman.training.cluster import ray_init

    ray_init(load_config(TrainConfig, overrides=["ray.num_cpus=2"]))  # on loopback, as a training run's
    yield
    ray.shutdown()


def _bc_data(n: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mask = np.ones((n, N_ACTS), dtype=np.int8)
    mask[:, 0] = 0
    return {"obs": rng.random((n, SALESMAN_OBS_DIM), dtype=np.float32), "mask": mask,
            "action": rng.integers(1, N_ACTS, n), "weight": rng.random(n).astype(np.float32)}


def _learner(tmp_path: Path, lam: float, bc=None):
    cfg = small(tmp_path, "method=bc_ppo")
    config = build_algorithm_config(cfg, bc_data=bc if bc is not None else _bc_data())
    config.learners(learner_config_dict={**config.learner_config_dict, "bc_lambda": lam})
    env = SalesmanMultiAgentEnv({"personas": "train"})
    spaces = {MODULE_ID: (env.observation_spaces[MODULE_ID], env.action_spaces[MODULE_ID])}
    return config.build_learner(spaces=spaces), config


def _ppo_batch(n: int = 32, seed: int = 1) -> dict:
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(n, N_ACTS)
    mask[:, 0] = 0
    logits = torch.randn(n, N_ACTS, generator=g)
    actions = torch.randint(1, N_ACTS, (n,), generator=g)
    logp = torch.log_softmax(torch.where(mask > 0, logits, torch.finfo(torch.float32).min), -1)
    return {Columns.OBS: {"observation": torch.rand(n, SALESMAN_OBS_DIM, generator=g), "action_mask": mask},
            Columns.ACTIONS: actions, Columns.ACTION_LOGP: logp.gather(-1, actions[:, None])[:, 0],
            Columns.ACTION_DIST_INPUTS: logits, Postprocessing.ADVANTAGES: torch.randn(n, generator=g),
            Postprocessing.VALUE_TARGETS: torch.randn(n, generator=g)}


def test_loss_with_lambda_zero_is_the_ppo_loss_and_lambda_adds_the_bc_term(tmp_path: Path) -> None:
    learner, config = _learner(tmp_path, 0.0)
    module = learner.module[MODULE_ID].unwrapped()
    batch = _ppo_batch()
    fwd = module.forward_train(batch)
    cfg = config.get_config_for_module(MODULE_ID)
    ours = learner.compute_loss_for_module(module_id=MODULE_ID, config=cfg, batch=batch, fwd_out=fwd)
    ppo = PPOTorchLearner.compute_loss_for_module(learner, module_id=MODULE_ID, config=cfg, batch=batch, fwd_out=fwd)
    assert torch.equal(ours, ppo)

    learner2, _ = _learner(tmp_path, 0.5, bc=_bc_data(n=16))  # batch 256 > 16 turns: every draw is a permutation
    learner2.module[MODULE_ID].unwrapped().load_state_dict(module.state_dict())
    total = learner2.compute_loss_for_module(module_id=MODULE_ID, config=cfg, batch=batch, fwd_out=fwd)
    assert total.item() > ppo.item()  # the BC term is a positive cross-entropy


def test_bc_gradient_raises_the_log_probability_of_high_weight_actions(tmp_path: Path) -> None:
    learner, _ = _learner(tmp_path, 1.0)
    module = learner.module[MODULE_ID].unwrapped()
    obs = torch.rand(1, SALESMAN_OBS_DIM).repeat(2, 1)
    mask = torch.ones(2, N_ACTS)
    actions = torch.tensor([3, 5])
    weights = torch.tensor([1.0, 0.0])  # a turn of a successful call, a turn of a failed one

    def logp() -> torch.Tensor:
        with torch.no_grad():
            return torch.log_softmax(module.masked_logits(obs[:1], mask[:1]), -1)[0]

    before = logp()
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    for _ in range(5):
        opt.zero_grad()
        bc_loss(module, obs, mask, actions, weights).backward()
        opt.step()
    after = logp()
    assert after[3] > before[3] + 0.05
    assert after[5] < before[5]  # zero weight: no push up, and the softmax moves mass to action 3


def test_behaviour_cloning_alone_follows_the_weights_and_is_seeded() -> None:
    # the same states, act 3 in dialogues weighted 0.9 and act 5 in those weighted 0.1, 3:1 in count
    n = 400
    data = _bc_data(n)
    data["obs"][:] = data["obs"][0]
    data["action"] = np.where(np.arange(n) % 4 == 0, 3, 5)
    data["weight"] = np.where(data["action"] == 3, 0.9, 0.1).astype(np.float32)
    probs = {}
    for name, weight in (("weighted", data["weight"]), ("unweighted", np.ones(n, dtype=np.float32))):
        module = behaviour_clone({**data, "weight": weight}, steps=300, lr=0.01, hidden=[16], seed=1)
        with torch.no_grad():
            probs[name] = torch.softmax(module.masked_logits(torch.as_tensor(data["obs"][:1]),
                                                             torch.as_tensor(data["mask"][:1])), -1)[0]
    # the weighted fit imitates 0.9 * 1 : 0.1 * 3 = 3 : 1 for act 3; the unweighted one 1 : 3
    assert probs["weighted"][3] == pytest.approx(0.75, abs=0.05) and probs["unweighted"][3] == pytest.approx(0.25, abs=0.05)
    assert float(probs["weighted"][0]) == 0.0  # masked
    a = behaviour_clone(data, steps=20, hidden=[16], seed=4)
    b = behaviour_clone(data, steps=20, hidden=[16], seed=4)
    c = behaviour_clone(data, steps=20, hidden=[16], seed=5)
    obs, mask = torch.as_tensor(data["obs"]), torch.as_tensor(data["mask"])
    assert torch.equal(a.masked_logits(obs, mask), b.masked_logits(obs, mask))
    assert not torch.equal(a.masked_logits(obs, mask), c.masked_logits(obs, mask))
    with pytest.raises(ValueError, match="do not match"):
        behaviour_clone({**data, "obs": data["obs"][:, :5]}, steps=1)


def test_sampled_policy_draws_by_probability_and_is_seeded() -> None:
    module = behaviour_clone(_bc_data(8), steps=1, hidden=[8], seed=0)
    with torch.no_grad():
        module.pi[-1].weight.zero_()
        module.pi[-1].bias.copy_(torch.log(torch.tensor([1.0] * 4 + [6.0] + [1.0] * (N_ACTS - 5))))
    obs = {"observation": np.zeros(SALESMAN_OBS_DIM, dtype=np.float32), "action_mask": np.ones(N_ACTS, dtype=np.int8)}
    obs["action_mask"][0] = 0
    act = sampled(module, 11)
    draws = [act(obs) for _ in range(2000)]
    assert 0 not in draws  # masked
    assert np.mean(np.array(draws) == 4) == pytest.approx(6 / 17, abs=0.04)
    again = sampled(module, 11)
    assert [again(obs) for _ in range(2000)] == draws
    assert greedy(module)(obs) == 4


def test_masked_acts_get_no_probability() -> None:
    from aisalesman.training.rllib import SalesmanTorchModule

    env = SalesmanMultiAgentEnv({})
    module = SalesmanTorchModule(observation_space=env.observation_spaces[MODULE_ID],
                                 action_space=env.action_spaces[MODULE_ID], model_config={"hidden": [8]})
    obs, _ = env.reset(seed=3)
    o = obs[MODULE_ID]
    logits = module.masked_logits(torch.as_tensor(o["observation"])[None], torch.as_tensor(o["action_mask"])[None])
    p = torch.softmax(logits, -1)[0]
    assert set(np.flatnonzero(p.detach().numpy() > 0)) == set(np.flatnonzero(o["action_mask"]))
    assert {str(SALES_ACTS[i]) for i in np.flatnonzero(o["action_mask"])} == {"greet", "introduce"}


def test_env_is_seeded_and_shaping_is_potential_based() -> None:
    def rollout(config):
        env = SalesmanMultiAgentEnv(config)
        out = []
        for ep in range(3):
            obs, _ = env.reset(seed=100 + ep)
            done, total = False, 0.0
            while not done:
                legal = np.flatnonzero(obs[MODULE_ID]["action_mask"])
                obs, r, term, trunc, info = env.step({MODULE_ID: int(legal[len(legal) // 2])})
                total += r[MODULE_ID]
                done = term["__all__"] or trunc["__all__"]
            out.append((round(total, 6), info[MODULE_ID]["outcome"]))
        return out

    plain = rollout({})
    assert plain == rollout({})
    values = np.random.default_rng(0).normal(size=(8, 14))
    shaped = rollout({"act_values": values, "shaping_scale": 0.5, "gamma": 1.0})
    # with gamma = 1 the potential telescopes to 0 over a call: same returns, same outcomes
    assert [(pytest.approx(a), b) for a, b in plain] == shaped


@pytest.mark.slow
@pytest.mark.train
def test_short_training_beats_a_random_policy_and_restores_identical_actions(tmp_path: Path, ray_session) -> None:
    cfg = small(tmp_path, "method=bayes_ppo", "env_steps=3000", "ppo.train_batch_size=1000", "ppo.minibatch_size=250",
                "ppo.num_epochs=8", "ppo.lr=0.002", "bc.anneal_steps=6000", "corpus.n=300", "eval.episodes=60",
                "eval.every=3")
    result = train(cfg, log=lambda m: None)
    rows = [json.loads(x) for x in (result.out / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [1, 2, 3] and rows[-1]["env_steps"] >= 3000
    assert "bc_loss" in rows[0] and rows[0]["supervision"]["bc_turns"] > 0
    assert 0 <= rows[-1]["eval_sampled_conversion"] <= 1 and "eval_sampled_conversion" not in rows[0]
    assert rows[0]["bc_lambda"] > rows[-1]["bc_lambda"]  # annealed

    rng = np.random.default_rng(0)

    def random_act(obs):
        return int(rng.choice(np.flatnonzero(obs["action_mask"])))

    module = load_salesman_module(result.final_checkpoint)
    trained = evaluate_policy(greedy(module), episodes=60, seed=7)
    baseline = evaluate_policy(random_act, episodes=60, seed=7)
    assert trained["return_mean"] > baseline["return_mean"] + 0.1, (trained, baseline)

    # a checkpoint restores identical actions
    from aisalesman.training.rllib import _MODULES

    _MODULES.clear()
    again = load_salesman_module(result.out / "checkpoints" / "iter_000003")
    obs = torch.rand(50, SALESMAN_OBS_DIM)
    mask = torch.ones(50, N_ACTS)
    assert torch.equal(module.masked_logits(obs, mask), again.masked_logits(obs, mask))
    env = SalesmanMultiAgentEnv({"personas": "test"})
    o, _ = env.reset(seed=1)
    assert greedy(module)(o[MODULE_ID]) == greedy(again)(o[MODULE_ID])

    # trained policies are agents, in text calls
    agent = make_agent(f"rllib:{result.final_checkpoint}")
    from aisalesman.data import load_personas, load_product
    from aisalesman.evaluation.runner import EpisodeSpec, run_episode

    t = run_episode(EpisodeSpec(0, f"rllib:{result.final_checkpoint}", load_personas("test")[0],
                                load_product("bistro-boost"), 0, 5))
    assert t.turns[0].intent in ("greet", "introduce")
    assert all(turn.meta.get("policy") for turn in t.turns if turn.speaker == "salesman")
    assert torch.equal(agent.policy.module.masked_logits(obs, mask), module.masked_logits(obs, mask))


@pytest.mark.slow
@pytest.mark.train
def test_resume_continues_the_run(tmp_path: Path, ray_session) -> None:
    cfg = small(tmp_path, "method=ppo", "env_steps=600")
    train(cfg, log=lambda m: None)
    with pytest.raises(ConfigError, match="already holds a run"):
        train(cfg, log=lambda m: None)
    longer = small(tmp_path, "method=ppo", "env_steps=1200")
    with pytest.raises(ConfigError, match="config differs"):
        train(longer, resume=True, log=lambda m: None)
    # resuming the same config after a crash: the checkpoint of iteration 1 carries on
    import shutil

    shutil.rmtree(cfg.out + "/checkpoints/iter_000002")
    result = train(small(tmp_path, "method=ppo", "env_steps=600"), resume=True, log=lambda m: None)
    rows = [json.loads(x) for x in Path(cfg.out, "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [1, 2]
    assert result.iterations == 2 and result.env_steps >= 600
    # --overwrite replaces the run's own files and nothing else
    (Path(cfg.out) / "precious.txt").write_text("mine")
    shorter = small(tmp_path, "method=ppo", "env_steps=300", "checkpoint_every=5")
    result = train(shorter, overwrite=True, log=lambda m: None)
    assert (Path(cfg.out) / "precious.txt").read_text() == "mine"
    assert not (Path(cfg.out) / "checkpoints").exists()  # the old run's checkpoints are gone, none new yet
    assert [json.loads(x)["iteration"] for x in Path(cfg.out, "metrics.jsonl").read_text().splitlines()] == [1]
    assert json.loads((Path(cfg.out) / "run.json").read_text())["status"] == "complete"


@pytest.mark.slow
@pytest.mark.train
def test_env_runner_crashes_are_tolerated(tmp_path: Path, ray_session) -> None:
    cfg = small(tmp_path, "method=ppo", "env_steps=300", "env_runners.num_env_runners=1",
                "env_runners.crash_prob=0.02", "ppo.train_batch_size=150", "env_runners.rollout_fragment_length=50",
                "eval.episodes=5")
    result = train(cfg, log=lambda m: None)
    assert result.env_steps >= 300
    crashes = (Path(cfg.out) / "crashes.log").read_text().count("crash")
    assert crashes >= 1  # the env did crash, and training carried on to its budget


def test_train_command_errors_are_one_line(tmp_path: Path, capsys) -> None:
    assert main(["train", "method=sarsa", "--out", str(tmp_path / "x")]) == 2
    assert main(["train", "bc.lambda_start=-1", "--out", str(tmp_path / "x")]) == 2
    assert main(["train", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert main(["train", "method=ppo", "env_runners.num_env_runners=1", "ppo.train_batch_size=150",
                 "--out", str(tmp_path / "bad")]) == 2
    assert main(["train", "ray.address=127.0.0.1:1", "--out", str(tmp_path / "nowhere")]) == 2
    assert main(["train", "ray.address=somewhere", "--out", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "ray.address='127.0.0.1:1': no Ray cluster answers there" in err
    assert "ray.address: expected 'auto' or host:port, got 'somewhere'" in err
    assert "method: must be one of ppo, bc_ppo, bayes_ppo" in err and "holds no run to resume" in err
    assert "RLlib rejected the config" in err and "rollout_fragment_length" in err
    assert "Traceback" not in err
    with pytest.raises(DataFileError, match="not an RLlib checkpoint"):
        load_salesman_module(tmp_path)
