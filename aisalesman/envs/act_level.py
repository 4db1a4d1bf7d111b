"""``aisalesman/telesales-acts-v0``: the act-level view of the sales call, for RL without an LLM.

Agents
    ``salesman`` and ``customer``, alternating, the salesman first (as in the text env).

Actions
    Salesman: ``Discrete(13)``, an index into :class:`~aisalesman.core.types.SalesAct`,
    realised as text by the :class:`~aisalesman.dialogue.realiser.TemplateRealiser`
    (objection answers address the objection currently open; pitches use the feature that
    serves a need the customer mentioned, if any). Customer: ``Discrete(19)``, an index into
    :data:`~aisalesman.dialogue.acts.CUSTOMER_MOVES` (the :class:`CustomerMove` members),
    voiced in the persona's style.
    Every action the ``Discrete`` space contains is accepted (a Python ``int``, a numpy
    integer, a 0-d integer array); anything else, or an index masked out, raises
    ``InvalidActionError`` (a masked-out index is penalised instead under
    ``illegal_action="penalise"``).

Observations
    ``{"observation": float32 vector in [0, 1], "action_mask": int8 vector}``.
    Salesman vector (47, from :class:`~aisalesman.dialogue.state.SalesmanActState`): turn
    fraction; the customer's last move (one-hot, 19); the open objection (one-hot, 7); how
    often each act was used (13, count/3 capped at 1); needs mentioned, do-not-call
    requested, closes/3; visible CRM features (rating/5, employees/25, log10 revenue/6,
    repeat rate). Customer vector (33): turn fraction; the
    salesman's last acts (multi-hot, 13); its persona's initial interest, initial trust,
    purchase threshold, scepticism, patience/60, agreeableness; segment (one-hot, 5);
    objection strengths by type (7); do-not-call proneness.

Legal acts (the stage machine, ``dialogue/data/stage_machine.yaml``)
    The first salesman turn may only greet or introduce; after a do-not-call request only
    ``honour_dnc`` and ``goodbye`` are legal; ``handle_objection`` needs an open objection;
    greeting, introducing and ``honour_dnc`` are otherwise illegal. Each salesman turn
    records the chosen act as its intent. The customer may accept
    a sale only right after a close and an appointment only right after a follow-up offer.

Rewards, termination, seeding, reading
    As in ``aisalesman/telesales-v0`` (the same :class:`~aisalesman.envs.call.SalesCall`);
    the env's ``reader`` also reads the needs in the customer's replies (the observation's
    needs flag and the feature the realiser pitches).

Errors
    As in ``aisalesman/telesales-v0`` (``EnvStateError`` before ``reset()`` or after the
    end, ``ConfigError`` for bad arguments and seeds, ``InvalidActionError`` for actions),
    plus a ``ConfigError`` for an ``illegal_action`` other than ``"raise"``/``"penalise"``
    or an ``illegal_penalty`` that is not a finite number.

Our reconstruction
    The paper trains at the level of text; this act-level view (the 13 acts, the observation
    vector, the legal-act masks and the template realiser) is our own design, so that RL
    libraries can train strategies without an LLM. Results on it are about this simulator.

Versions
    v0: first release.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from gymnasium.spaces import Box, Dict, Discrete

from aisalesman.core.errors import ConfigError, InvalidActionError
from aisalesman.core.seeding import derive_seed
from aisalesman.core.types import ObjectionType, SalesAct, Segment
from aisalesman.customers.base import Customer
from aisalesman.customers.replies import CustomerRealiser
from aisalesman.dialogue.acts import CUSTOMER_MOVES, CustomerMove
from aisalesman.dialogue.realiser import TemplateRealiser, default_plan, feature_for_needs
from aisalesman.dialogue.state import SALES_ACTS, SALESMAN_OBS_DIM, SalesmanActState
from aisalesman.envs.checks import check_number, show
from aisalesman.envs.telesales import TeleSalesEnv

__all__ = ["CUSTOMER_OBS_DIM", "TeleSalesActEnv"]

_ACT_INDEX = {a: i for i, a in enumerate(SALES_ACTS)}
_MOVE_INDEX = {m: i for i, m in enumerate(CUSTOMER_MOVES)}
_OBJ_INDEX = {o: i for i, o in enumerate(ObjectionType)}
_SEG_INDEX = {s: i for i, s in enumerate(Segment)}
CUSTOMER_OBS_DIM = 1 + len(SALES_ACTS) + 6 + len(Segment) + len(ObjectionType) + 1


class TeleSalesActEnv(TeleSalesEnv):
    """The act-level sales call (AEC). See the module docstring for the contract."""

    metadata = {"name": "telesales_acts_v0", "render_modes": ["ansi", "human"], "is_parallelizable": True}

    def __init__(self, *args: Any, illegal_action: str = "raise", illegal_penalty: float = -0.1, **kwargs: Any) -> None:
        """See :class:`TeleSalesEnv` for the other arguments.

        Args:
            illegal_action: ``"raise"`` (an ``InvalidActionError``) or ``"penalise"``: the
                masked-out act is performed anyway and ``illegal_penalty`` is added to the
                salesman's ``illegal_action`` reward component (for learners without masks).
        """
        if illegal_action not in ("raise", "penalise"):
            raise ConfigError(f"illegal_action must be 'raise' or 'penalise', got {show(illegal_action)}")
        self.illegal_action = illegal_action
        self.illegal_penalty = check_number("illegal_penalty", illegal_penalty)
        super().__init__(*args, **kwargs)

    def _build_spaces(self) -> tuple[dict[str, Any], dict[str, Any]]:
        actions = {"salesman": Discrete(len(SALES_ACTS)), "customer": Discrete(len(CUSTOMER_MOVES))}
        observations = {
            agent: Dict({
                "observation": Box(0.0, 1.0, shape=(dim,), dtype=np.float32),
                "action_mask": Box(0, 1, shape=(actions[agent].n,), dtype=np.int8),
            })
            for agent, dim in (("salesman", SALESMAN_OBS_DIM), ("customer", CUSTOMER_OBS_DIM))
        }
        return actions, observations

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        super().reset(seed=seed, options=options)
        rng = random.Random(derive_seed(self.episode_seed, "realiser"))
        view = self.scenario.salesman_view()
        self._realiser = TemplateRealiser(view, rng)
        self._voice = CustomerRealiser(self.scenario, rng)
        self._plan, self._feature = default_plan(view), None
        self.state = SalesmanActState(view, reader=self.call.reader)
        self._customer_static = self._customer_features()

    # ---------------------------------------------------------------- actions
    def _index(self, action: Any, agent: str) -> int:
        """``action`` as an index if the agent's space contains it, else an InvalidActionError."""
        space = self._action_spaces[agent]
        if space.contains(action):
            return int(action)
        integral = isinstance(action, (int, np.integer, np.ndarray)) and np.ndim(action) == 0 \
            and np.issubdtype(np.asarray(action).dtype, np.integer)
        if integral and not 0 <= int(action) < space.n:
            raise InvalidActionError(f"{agent} action {show(action)} is outside [0, {space.n})")
        raise InvalidActionError(f"{agent} action must be an integer in [0, {space.n}) that {space} contains "
                                 f"(an int, int64-castable numpy integer or 0-d array), got {show(action)}")

    def _to_text(self, action: Any) -> tuple[str, dict[str, float], str | None]:
        agent = self.agent_selection
        idx = self._index(action, agent)
        extra: dict[str, float] = {}
        if not self._mask(agent)[idx]:
            name = SALES_ACTS[idx] if agent == "salesman" else CUSTOMER_MOVES[idx]
            if self.illegal_action == "raise":
                raise InvalidActionError(f"{agent} action {idx} ({name}) is not legal now")
            if agent == "salesman":
                extra["illegal_action"] = self.illegal_penalty
        return self._realise(agent, idx), extra, str(SALES_ACTS[idx]) if agent == "salesman" else None

    def _action_meta(self, agent: str) -> dict[str, Any] | None:
        # the plain value, so transcripts store what they always stored
        return {"move": self.state.last_move.value} if agent == "customer" else None

    def _realise(self, agent: str, idx: int) -> str:
        state = self.state
        if agent == "salesman":
            act = SALES_ACTS[idx]
            kw = {"objection": state.open} if act is SalesAct.HANDLE_OBJECTION else {}
            state.salesman(idx)
            return self._realiser.realise((act,), plan=self._plan, feature=self._feature, **kw)
        move = CUSTOMER_MOVES[idx]
        reply = self._voice.say(move, restate=state.open is not None and move.objection == state.open)
        state.customer(move, reply.text)
        if self._feature is None:
            found = feature_for_needs(self._realiser.view, state.needs)
            if found is not None:
                self._feature, self._plan = found
        return reply.text

    def _play(self, customer: Customer) -> None:
        self.step(self.customer_action(customer))

    def customer_action(self, customer: Customer) -> int:
        """The move index of an embedded customer's reply (its ``kind``)."""
        reply = customer.respond(self.customer_observation())
        if reply.kind not in _MOVE_INDEX:
            raise InvalidActionError(f"customer reply kind {reply.kind!r} is not an act-level move")
        return _MOVE_INDEX[reply.kind]

    # ------------------------------------------------------------ observations
    def _mask(self, agent: str) -> np.ndarray:
        call = self.call
        if agent == "salesman":
            return self.state.mask(call.dnc_requested)
        mask = np.ones(len(CUSTOMER_MOVES), dtype=np.int8)
        last_acts = call.turns[-1].acts if call.turns else ()
        mask[_MOVE_INDEX[CustomerMove.ACCEPT_SALE]] = SalesAct.PROPOSE_CLOSE in last_acts
        mask[_MOVE_INDEX[CustomerMove.ACCEPT_APPOINTMENT]] = SalesAct.SCHEDULE_FOLLOW_UP in last_acts
        return mask

    def _observe(self, agent: str) -> dict[str, np.ndarray]:
        vec = self._salesman_vector() if agent == "salesman" else self._customer_vector()
        return {"observation": vec, "action_mask": self._mask(agent)}

    def _salesman_vector(self) -> np.ndarray:
        return self.state.vector(len(self.call.turns), self.call.dnc_requested)

    def _customer_features(self) -> np.ndarray:
        h = self.scenario.persona.hidden
        v = np.zeros(CUSTOMER_OBS_DIM - 1 - len(SALES_ACTS), dtype=np.float32)
        v[:6] = (h.initial_interest, h.initial_trust, h.purchase_threshold, h.scepticism,
                 min(h.patience / 60.0, 1.0), h.big_five.agreeableness)
        v[6 + _SEG_INDEX[h.segment]] = 1.0
        for obj in h.objections:
            v[6 + len(Segment) + _OBJ_INDEX[obj.type]] = obj.strength
        v[-1] = float(h.dnc_prone)
        return v

    def _customer_vector(self) -> np.ndarray:
        v = np.zeros(CUSTOMER_OBS_DIM, dtype=np.float32)
        v[0] = len(self.call.turns) / self.scenario.max_turns
        for turn in reversed(self.call.turns):
            if turn.speaker == "salesman":
                for act in turn.acts:
                    v[1 + _ACT_INDEX[SalesAct(act)]] = 1.0
                break
        v[1 + len(SALES_ACTS) :] = self._customer_static
        return v

