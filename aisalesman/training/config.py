"""``aisalesman train`` configuration (dataclasses; YAML file + ``key=value`` overrides)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aisalesman.core.errors import ConfigError

__all__ = ["METHODS", "TrainConfig"]

#: ``ppo``: PPO alone; ``bc_ppo``: PPO + behaviour cloning weighted by the raw (noisy) labels;
#: ``bayes_ppo``: PPO + behaviour cloning weighted by the posterior success probabilities.
METHODS = ("ppo", "bc_ppo", "bayes_ppo")


def _positive(obj: object, *names: str, minimum: int = 1) -> None:
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{name}: must be an integer >= {minimum}, got {value!r}")


@dataclass
class EnvSection:
    personas: str = field(default="train", metadata={"help": "persona split or file to train against"})
    products: str = field(default="all", metadata={"help": "product names or files, comma-separated, or 'all'"})
    max_turns: int = 40


@dataclass
class CorpusSection:
    """The logged dialogues: a file, or (``path: null``) a synthetic corpus generated into the run."""

    path: str | None = field(default=None, metadata={"help": "corpus file; null = generate one"})
    n: int = 2000
    label_noise: float = 0.2
    annotators: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        _positive(self, "n", "annotators")
        if not 0.0 <= self.label_noise <= 1.0:
            raise ConfigError(f"corpus.label_noise: must be in [0, 1], got {self.label_noise!r}")


@dataclass
class PosteriorSection:
    """The noisy-outcome posterior: a file from ``fit-bayes``, or fitted into the run."""

    path: str | None = field(default=None, metadata={"help": "posterior file; null = fit one"})
    method: str = "svi"
    channels: str = "annotator"
    samples: int = 500
    warmup: int = 500
    chains: int = 2
    svi_steps: int = 3000


@dataclass
class BCSection:
    """The behaviour-cloning term: weight ``lambda`` annealed linearly over ``anneal_steps`` env steps."""

    lambda_start: float = 1.0
    lambda_end: float = 0.0
    anneal_steps: int = 100_000
    batch_size: int = 256

    def __post_init__(self) -> None:
        _positive(self, "batch_size")
        _positive(self, "anneal_steps", minimum=0)
        if self.lambda_start < 0 or self.lambda_end < 0:
            raise ConfigError(f"bc.lambda_start/lambda_end: must be >= 0, got {self.lambda_start}, {self.lambda_end}")


@dataclass
class PPOSection:
    lr: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    train_batch_size: int = 2000
    minibatch_size: int = 250
    num_epochs: int = 6
    entropy_coeff: float = 0.01
    clip_param: float = 0.2
    vf_loss_coeff: float = 0.5
    vf_clip_param: float = 10.0
    hidden: list[int] = field(default_factory=lambda: [64, 64])

    def __post_init__(self) -> None:
        _positive(self, "train_batch_size", "minibatch_size", "num_epochs")
        if not 0.0 < self.gamma <= 1.0:
            raise ConfigError(f"ppo.gamma: must be in (0, 1], got {self.gamma!r}")
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise ConfigError(f"ppo.hidden: must list positive layer sizes, got {self.hidden!r}")


@dataclass
class EnvRunnersSection:
    num_env_runners: int = field(default=0, metadata={"help": "0 samples in the driver (fastest on 1-2 CPUs)"})
    rollout_fragment_length: int = field(default=100, metadata={"help": "set explicitly: RLlib's auto is slow here"})
    sample_timeout_s: float = 60.0
    restart_failed: bool = field(default=True, metadata={"help": "restart crashed env runners and sub-environments"})
    max_restarts: int = 1000
    restart_delay_s: float = 0.0
    crash_prob: float = field(default=0.0, metadata={"help": "testing only: chance per step that an env crashes"})

    def __post_init__(self) -> None:
        _positive(self, "num_env_runners", minimum=0)
        _positive(self, "rollout_fragment_length")
        if not 0.0 <= self.crash_prob < 1.0:
            raise ConfigError(f"env_runners.crash_prob: must be in [0, 1), got {self.crash_prob!r}")


@dataclass
class RaySection:
    address: str | None = field(default=None, metadata={"help": "null = a local Ray; 'auto' or host:port = a cluster"})
    num_cpus: int | None = field(default=None, metadata={"help": "local Ray only: CPUs to use (default: all)"})


@dataclass
class EvalSection:
    """Held-out evaluation in the act-level env every ``every`` iterations: the greedy policy,
    and (``sampled``) the sampling policy PPO trains; both meet the same ``episodes`` calls."""

    personas: str = "test"
    products: str = "all"
    episodes: int = 200
    every: int = 1
    seed: int = 12345
    sampled: bool = field(default=True, metadata={"help": "also evaluate the policy by sampling its acts"})

    def __post_init__(self) -> None:
        _positive(self, "episodes", "every")


@dataclass
class TrainConfig:
    """``aisalesman train``: PPO on the act-level env, optionally with (Bayesian) supervision."""

    method: str = field(default="bayes_ppo", metadata={"help": "ppo, bc_ppo or bayes_ppo"})
    seed: int = 0
    env_steps: int = field(default=100_000, metadata={"help": "stop after this many sampled env steps"})
    out: str = "runs/train"
    checkpoint_every: int = field(default=5, metadata={"help": "iterations between checkpoints"})
    shaping_scale: float = field(default=0.0, metadata={"help": "potential-based shaping from posterior act values"})
    env: EnvSection = field(default_factory=EnvSection)
    corpus: CorpusSection = field(default_factory=CorpusSection)
    posterior: PosteriorSection = field(default_factory=PosteriorSection)
    bc: BCSection = field(default_factory=BCSection)
    ppo: PPOSection = field(default_factory=PPOSection)
    env_runners: EnvRunnersSection = field(default_factory=EnvRunnersSection)
    ray: RaySection = field(default_factory=RaySection)
    eval: EvalSection = field(default_factory=EvalSection)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"method: must be one of {', '.join(METHODS)}, got {self.method!r}")
        _positive(self, "env_steps", "checkpoint_every")
        if self.shaping_scale < 0:
            raise ConfigError(f"shaping_scale: must be >= 0, got {self.shaping_scale!r}")
        if self.shaping_scale > 0 and self.method != "bayes_ppo" and self.posterior.path is None:
            raise ConfigError("shaping_scale: shaping uses posterior act values; use method=bayes_ppo "
                              "or give posterior.path")
