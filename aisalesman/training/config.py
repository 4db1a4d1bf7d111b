"""``aisalesman train`` configuration (dataclasses; YAML file + ``key=value`` overrides)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aisalesman.core.config import check_int, check_number
from aisalesman.core.errors import ConfigError
from aisalesman.dialogue import DEFAULT_ENV_READER
from aisalesman.dialogue.configured import check_reader_name

__all__ = ["MAX_ENV_STEPS", "METHODS", "TrainConfig"]

#: ``ppo``: PPO alone; ``bc_ppo``: PPO + behaviour cloning weighted by the raw (noisy) labels;
#: ``bayes_ppo``: PPO + behaviour cloning weighted by the posterior success probabilities.
METHODS = ("ppo", "bc_ppo", "bayes_ppo")
#: Most env steps one run may ask for: a billion act-level steps is days on a large cluster.
MAX_ENV_STEPS = 1_000_000_000


def _positive(obj: object, *names: str, minimum: int = 1, maximum: int | None = None, section: str = "") -> None:
    for name in names:
        check_int(f"{section}{name}", getattr(obj, name), low=minimum, high=maximum)


def _finite(obj: object, *names: str, low: float | None = 0.0, high: float | None = None, positive: bool = False,
            section: str = "") -> None:
    """Each field a finite number in ``[low, high]`` (``(low, high]`` when ``positive``)."""
    for name in names:
        check_number(f"{section}{name}", getattr(obj, name), low=low, high=high, low_open=positive)


@dataclass
class EnvSection:
    personas: str = field(default="train", metadata={"help": "persona split or file to train against"})
    products: str = field(default="all", metadata={"help": "product names or files, comma-separated, or 'all'"})
    max_turns: int = 40


@dataclass
class CorpusSection:
    """The logged dialogues: a file, or (``path: null``) a synthetic corpus generated into the run."""

    path: str | None = field(default=None, metadata={"help": "corpus file; null = generate one"})
    n: int = field(default=2000, metadata={"help": "dialogues to generate (at most 1,000,000)"})
    label_noise: float = 0.2
    annotators: int = field(default=1, metadata={"help": "noisy labels per dialogue (at most 100)"})
    seed: int = 0

    def __post_init__(self) -> None:
        from aisalesman.data.corpus import MAX_ANNOTATORS, MAX_DIALOGUES

        _positive(self, "n", maximum=MAX_DIALOGUES, section="corpus.")
        _positive(self, "annotators", maximum=MAX_ANNOTATORS, section="corpus.")
        _finite(self, "label_noise", high=1.0, section="corpus.")


@dataclass
class PosteriorSection:
    """The noisy-outcome posterior: a file from ``fit-bayes``, or fitted into the run."""

    path: str | None = field(default=None, metadata={"help": "posterior file; null = fit one"})
    method: str = field(default="svi", metadata={"help": "nuts or svi"})
    channels: str = field(default="annotator", metadata={"help": "annotator or shared"})
    samples: int = field(default=500, metadata={"help": "posterior draws per chain (at most 100,000)"})
    warmup: int = field(default=500, metadata={"help": "NUTS warm-up steps per chain (at most 100,000)"})
    chains: int = field(default=2, metadata={"help": "NUTS chains (at most 64)"})
    svi_steps: int = field(default=3000, metadata={"help": "SVI optimisation steps (at most 1,000,000)"})

    def __post_init__(self) -> None:
        from aisalesman.training.bayes import SIZE_LIMITS

        if self.method not in ("nuts", "svi"):
            raise ConfigError(f"posterior.method: must be nuts or svi, got {self.method!r}")
        if self.channels not in ("annotator", "shared"):
            raise ConfigError(f"posterior.channels: must be annotator or shared, got {self.channels!r}")
        for name, limit in (("samples", "num_samples"), ("warmup", "num_warmup"), ("chains", "num_chains"),
                            ("svi_steps", "svi_steps")):
            check_int(f"posterior.{name}", getattr(self, name), high=SIZE_LIMITS[limit])


@dataclass
class BCSection:
    """The behaviour-cloning term: weight ``lambda`` annealed linearly over ``anneal_steps`` env steps."""

    lambda_start: float = 1.0
    lambda_end: float = 0.0
    anneal_steps: int = field(default=100_000, metadata={"help": "env steps (at most 1,000,000,000)"})
    batch_size: int = field(default=256, metadata={"help": "logged turns per BC step (at most 1,000,000)"})

    def __post_init__(self) -> None:
        _positive(self, "batch_size", maximum=1_000_000, section="bc.")
        _positive(self, "anneal_steps", minimum=0, maximum=MAX_ENV_STEPS, section="bc.")
        _finite(self, "lambda_start", "lambda_end", section="bc.")


@dataclass
class PPOSection:
    lr: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    train_batch_size: int = field(default=2000, metadata={"help": "env steps per update (at most 10,000,000)"})
    minibatch_size: int = field(default=250, metadata={"help": "at most 10,000,000"})
    num_epochs: int = field(default=6, metadata={"help": "passes over each batch (at most 1,000)"})
    entropy_coeff: float = 0.01
    clip_param: float = 0.2
    vf_loss_coeff: float = 0.5
    vf_clip_param: float = 10.0
    hidden: list[int] = field(default_factory=lambda: [64, 64],
                              metadata={"help": "layer sizes: 1 to 16 layers of 1..65,536 units"})

    def __post_init__(self) -> None:
        _positive(self, "train_batch_size", "minibatch_size", maximum=10_000_000, section="ppo.")
        _positive(self, "num_epochs", maximum=1_000, section="ppo.")
        _finite(self, "lr", "clip_param", "vf_clip_param", positive=True, section="ppo.")
        _finite(self, "gamma", positive=True, high=1.0, section="ppo.")
        _finite(self, "gae_lambda", high=1.0, section="ppo.")
        _finite(self, "entropy_coeff", "vf_loss_coeff", section="ppo.")
        # a layer of 65,536 units is already a billion weights to the next one
        if not self.hidden or len(self.hidden) > 16 or any(
                isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 65_536 for h in self.hidden):
            raise ConfigError(f"ppo.hidden: must list 1 to 16 layer sizes in 1..65,536, got {self.hidden!r}")


@dataclass
class EnvRunnersSection:
    num_env_runners: int = field(default=0, metadata={"help": "0 samples in the driver (fastest on 1-2 CPUs); "
                                                              "at most 1,024"})
    rollout_fragment_length: int = field(default=100, metadata={"help": "set explicitly: RLlib's auto is slow here "
                                                                        "(at most 1,000,000)"})
    sample_timeout_s: float = 60.0
    restart_failed: bool = field(default=True, metadata={"help": "restart crashed env runners and sub-environments"})
    max_restarts: int = 1000
    restart_delay_s: float = 0.0
    crash_prob: float = field(default=0.0, metadata={"help": "testing only: chance per step that an env crashes"})

    def __post_init__(self) -> None:
        _positive(self, "num_env_runners", minimum=0, maximum=1_024, section="env_runners.")
        _positive(self, "rollout_fragment_length", maximum=1_000_000, section="env_runners.")
        _positive(self, "max_restarts", minimum=0, section="env_runners.")
        _finite(self, "sample_timeout_s", positive=True, section="env_runners.")
        _finite(self, "restart_delay_s", section="env_runners.")
        _finite(self, "crash_prob", section="env_runners.")
        if not self.crash_prob < 1.0:
            raise ConfigError(f"env_runners.crash_prob: must be in [0, 1), got {self.crash_prob!r}")


@dataclass
class RaySection:
    address: str | None = field(default=None, metadata={"help": "null = a local Ray; 'auto' or host:port = a cluster"})
    num_cpus: int | None = field(default=None, metadata={"help": "local Ray only: CPUs to use (default: all)"})

    def __post_init__(self) -> None:
        if self.num_cpus is not None:
            check_int("ray.num_cpus", self.num_cpus, high=65_536)


@dataclass
class EvalSection:
    """Held-out evaluation in the act-level env every ``every`` iterations: the greedy policy,
    and (``sampled``) the sampling policy PPO trains; both meet the same ``episodes`` calls."""

    personas: str = "test"
    products: str = "all"
    episodes: int = field(default=200, metadata={"help": "evaluation calls (at most 100,000)"})
    every: int = 1
    seed: int = 12345
    sampled: bool = field(default=True, metadata={"help": "also evaluate the policy by sampling its acts"})

    def __post_init__(self) -> None:
        # evaluated every `every` iterations: keep it affordable
        _positive(self, "episodes", maximum=100_000, section="eval.")
        _positive(self, "every", section="eval.")


@dataclass
class TrainConfig:
    """``aisalesman train``: PPO on the act-level env, optionally with (Bayesian) supervision."""

    method: str = field(default="bayes_ppo", metadata={"help": "ppo, bc_ppo or bayes_ppo"})
    seed: int = 0
    env_steps: int = field(default=100_000, metadata={"help": "stop after this many sampled env steps "
                                                              "(at most 1,000,000,000)"})
    out: str = "runs/train"
    checkpoint_every: int = field(default=5, metadata={"help": "iterations between checkpoints"})
    shaping_scale: float = field(default=0.0, metadata={"help": "potential-based shaping from posterior act values"})
    reader: str = field(default=DEFAULT_ENV_READER, metadata={
        "help": "what reads every utterance in the env, the evaluation, the generated corpus and an imported "
                "one: lexicon, learned or llm"})
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
        _positive(self, "env_steps", maximum=MAX_ENV_STEPS)
        _positive(self, "checkpoint_every")
        _finite(self, "shaping_scale")
        check_reader_name(self.reader)
        if self.shaping_scale > 0 and self.method != "bayes_ppo" and self.posterior.path is None:
            raise ConfigError("shaping_scale: shaping uses posterior act values; use method=bayes_ppo "
                              "or give posterior.path")
