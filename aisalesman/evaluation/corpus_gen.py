"""Synthetic corpora: our customers against a mix of salesmen, with noisy outcome labels.

Each dialogue is one episode run by :func:`~aisalesman.evaluation.runner.run_episode`: the
persona customer against a salesman drawn from a mix of behaviours (``scripted``,
``adaptive``, ``random`` and ``flawed`` by default) on the *train* persona split. Its
``true_success`` is whether the call ended in a sale; each annotator's label is that truth
flipped with probability ``label_noise``, and ``label`` is their majority (ties count as
failure). The format itself is :mod:`aisalesman.data.corpus`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from aisalesman.agents.base import agents as agent_registry
from aisalesman.core.config import check_int, check_number
from aisalesman.core.errors import ConfigError, UnknownNameError
from aisalesman.core.seeding import derive_seed, make_rng
from aisalesman.core.types import Outcome
from aisalesman.data.corpus import MAX_ANNOTATORS, MAX_DIALOGUES, CorpusDialogue
from aisalesman.data.loading import load_personas, load_products
from aisalesman.dialogue.configured import check_reader_name
from aisalesman.evaluation.runner import EpisodeSpec, run_episode

__all__ = ["DEFAULT_MIX", "generate_corpus"]

DEFAULT_MIX: dict[str, float] = {"scripted": 0.3, "adaptive": 0.3, "random": 0.2, "flawed": 0.2}


def _majority(labels: Sequence[bool]) -> bool:
    return sum(labels) * 2 > len(labels)


def generate_corpus(n: int, *, label_noise: float = 0.0, seed: int = 0, annotators: int = 1,
                    personas: str = "train", products: str = "all", mix: Mapping[str, float] | None = None,
                    max_turns: int = 40, reader: str | None = None) -> Iterator[CorpusDialogue]:
    """``n`` synthetic dialogues, one at a time (see the module docstring); deterministic in ``seed``.

    Their turns' acts, objections and claims are what ``reader`` (a registered reader name;
    the project default if None) read during the calls. The arguments are checked, and the
    personas and products loaded, when this is called, before the first dialogue is asked for.
    """
    check_int("n", n, high=MAX_DIALOGUES)
    check_number("label_noise", label_noise, low=0.0, high=1.0)
    check_int("annotators", annotators, high=MAX_ANNOTATORS)
    mix = dict(mix or DEFAULT_MIX)
    for name, share in mix.items():
        check_number(f"mix: {name}", share, low=0.0)
    if not mix or sum(mix.values()) <= 0:
        raise ConfigError(f"mix must give non-negative weights with a positive sum, got {mix}")
    for name in mix:
        if not agent_registry.has(name):
            raise UnknownNameError(f"mix: {agent_registry.unknown_message(name)}")
    if reader is not None:
        check_reader_name(reader)
    return _dialogues(n, label_noise, seed, annotators, load_personas(personas), load_products(products), mix, max_turns,
                      reader)


def _dialogues(n: int, label_noise: float, seed: int, annotators: int, pool: Sequence[Any], prods: Sequence[Any],
               mix: Mapping[str, float], max_turns: int, reader: str | None) -> Iterator[CorpusDialogue]:
    names, weights = list(mix), [mix[k] for k in mix]
    for i in range(n):
        rng = make_rng(seed, "corpus", i)
        agent = rng.choices(names, weights)[0]
        persona, product = pool[rng.randrange(len(pool))], prods[rng.randrange(len(prods))]
        episode_seed = derive_seed(seed, "corpus-episode", i)
        t = run_episode(EpisodeSpec(i, agent, persona, product, 0, episode_seed, max_turns=max_turns, reader=reader))
        truth = t.outcome == Outcome.SALE
        noise = make_rng(seed, "labels", i)
        labels = tuple(truth if noise.random() >= label_noise else not truth for _ in range(annotators))
        yield CorpusDialogue(
            id=f"syn-{i:06d}", turns=t.turns, label=_majority(labels), labels=labels, true_success=truth,
            agent=agent, persona_id=persona.id, segment=str(persona.segment), product=product.key, seed=episode_seed,
            termination_reason=t.termination_reason, label_noise=label_noise,
        )
