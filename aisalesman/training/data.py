"""Corpus turns as act-level (observation, action, weight) examples for behaviour cloning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aisalesman.core.errors import ConfigError
from aisalesman.core.types import Role

__all__ = ["BCData", "bc_dataset", "raw_label_weights"]


@dataclass(frozen=True)
class BCData:
    """Arrays for the BC term plus what was left out and why."""

    obs: np.ndarray  # (N, SALESMAN_OBS_DIM) float32
    mask: np.ndarray  # (N, 13) int8, the legal acts at that turn
    action: np.ndarray  # (N,) int64
    weight: np.ndarray  # (N,) float32, the dialogue's success weight
    dialogues: int
    skipped: dict[str, int]

    def arrays(self) -> dict[str, np.ndarray]:
        return {"obs": self.obs, "mask": self.mask, "action": self.action, "weight": self.weight}


def raw_label_weights(dialogues: Sequence[Any]) -> dict[str, float]:
    """Each dialogue's mean observed label (the naive weight of ``bc_ppo``)."""
    out = {}
    for d in dialogues:
        labels = list(d.labels) or ([d.label] if d.label is not None else [])
        if labels:
            out[d.id] = sum(map(bool, labels)) / len(labels)
    return out


def bc_dataset(dialogues: Sequence[Any], weights: Mapping[str, float], *, max_turns: int = 40,
               reader: Any = None) -> BCData:
    """Replay each dialogue's turns through :class:`~aisalesman.dialogue.state.SalesmanActState`.

    ``reader`` reads the needs customer turns mention, as the act-level env's reader does
    (the training run's reader; the project default if None).

    Every salesman turn whose intent is an act legal at that point becomes an example
    weighted by its dialogue's weight. Left out, and counted in ``skipped``: dialogues with
    no weight, or whose persona or product is not a shipped one (the CRM part of the
    observation needs them); turns whose intent is not an act (``other``) or is illegal
    there.
    """
    from aisalesman.core.scenario import Scenario
    from aisalesman.data.loading import builtin_personas_by_id, builtin_product_names, load_product
    from aisalesman.dialogue.state import SALES_ACTS, SalesmanActState

    personas, products = builtin_personas_by_id(), set(builtin_product_names())
    act_index = {str(a): i for i, a in enumerate(SALES_ACTS)}
    obs, masks, actions, ws = [], [], [], []
    skipped: Counter[str] = Counter()
    used = 0
    for d in dialogues:
        if d.id not in weights:
            skipped["dialogue_without_weight"] += 1
            continue
        persona = personas.get(d.persona_id or "")
        if persona is None or d.product not in products:
            skipped["dialogue_with_unknown_persona_or_product"] += 1
            continue
        used += 1
        view = Scenario(persona, load_product(d.product), max_turns=max_turns).salesman_view()
        state = SalesmanActState(view, reader=reader)
        for i, turn in enumerate(d.turns):
            if turn.speaker == Role.SALESMAN:
                idx = act_index.get(turn.intent or "")
                if idx is None:
                    skipped["turn_without_act"] += 1
                else:
                    mask = state.mask()
                    if mask[idx]:
                        obs.append(state.vector(i))
                        masks.append(mask)
                        actions.append(idx)
                        ws.append(weights[d.id])
                    else:
                        skipped["turn_with_illegal_act"] += 1
            state.apply(turn)
    if not actions:
        raise ConfigError(f"the corpus gave no usable salesman turns (left out: {dict(skipped)})")
    return BCData(np.stack(obs).astype(np.float32), np.stack(masks).astype(np.int8), np.asarray(actions, dtype=np.int64),
                  np.asarray(ws, dtype=np.float32), used, dict(skipped))
