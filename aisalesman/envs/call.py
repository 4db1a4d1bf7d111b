"""The rules of one sales call, shared by every environment view.

:class:`SalesCall` records utterances, recognises their acts and claims, enforces turn
order and limits, decides termination, and computes the reward components. The PettingZoo
and Gymnasium classes are thin shells around it, so they cannot disagree. Utterances are
read by the call's :class:`~aisalesman.dialogue.reading.Reader` (``reader``: a registered
name, an instance, or None for :data:`~aisalesman.dialogue.DEFAULT_ENV_READER`).

Termination: the customer accepting (a sale, or an appointment when the salesman's last
turn asked only for a follow-up), rejecting or hanging up; the salesman saying goodbye;
after a do-not-call request, the salesman's next turn either honours it (goodbye or
removal) or violates it, and either ends the call. Truncation: ``max_turns`` utterances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from aisalesman.core.errors import ConfigError, InvalidActionError
from aisalesman.core.scenario import Scenario
from aisalesman.core.transcript import Turn
from aisalesman.core.types import CustomerAct, CustomerDecision, Outcome, Role, SalesAct, TerminationReason
from aisalesman.dialogue.acts import DECISION_PRECEDENCE
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.reading import Reader
from aisalesman.dialogue.stages import default_stage_machine
from aisalesman.envs.checks import show

__all__ = ["OTHER_INTENT", "RewardConfig", "RewardModel", "SalesCall"]

OTHER_INTENT = "other"  # the intent of a salesman turn in which no known act was recognised

_ENDING_SALES_ACTS = (SalesAct.GOODBYE, SalesAct.HONOUR_DNC)


@dataclass(frozen=True)
class RewardConfig:
    """Salesman reward components (each logged separately in ``info``).

    Args:
        sale: Paid when the customer accepts the offer.
        appointment: Paid when the customer accepts a follow-up.
        hang_up: Paid (usually negative) when the customer hangs up.
        dnc_violation: Paid when the salesman keeps selling after a do-not-call request.
        false_claim: Paid per false claim in a salesman turn.
        turn_cost: Paid per salesman turn (a small negative value favours short calls).
    """

    sale: float = 1.0
    appointment: float = 0.4
    hang_up: float = -0.1
    dnc_violation: float = -1.0
    false_claim: float = -0.2
    turn_cost: float = 0.0

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                raise ConfigError(f"reward {name} must be a number, got {value!r}")


class RewardModel(Protocol):
    """Optional per-turn shaping: a score for each salesman turn (component ``shaping``)."""

    def score(self, turn: Turn, call: SalesCall) -> float: ...


@dataclass
class SalesCall:
    """One call in progress.

    Args:
        scenario: Persona, product, goal and limits.
        max_utterance_chars: Longest utterance either side may say.
        rewards: Reward component values.
        reward_model: Optional shaping model scored on every salesman turn.
        reader: What reads each utterance's acts, objection, decision and claims: a
            registered reader name, a :class:`Reader`, or None for the project default
            (``DEFAULT_ENV_READER``). After construction it holds the reader itself.
    """

    scenario: Scenario
    max_utterance_chars: int = 600
    rewards: RewardConfig = field(default_factory=RewardConfig)
    reward_model: RewardModel | None = None
    reader: str | Reader | None = None
    turns: list[Turn] = field(default_factory=list, init=False)
    next_role: Role = field(default=Role.SALESMAN, init=False)
    terminated: bool = field(default=False, init=False)
    truncated: bool = field(default=False, init=False)
    reason: TerminationReason | None = field(default=None, init=False)
    dnc_requested: bool = field(default=False, init=False)
    infra_detail: str | None = field(default=None, init=False)
    components: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_utterance_chars, int) or self.max_utterance_chars < 1:
            raise ConfigError(f"max_utterance_chars must be a positive integer, got {self.max_utterance_chars!r}")
        self.reader = env_reader(self.reader)
        self.components = dict.fromkeys(
            ("outcome", "hang_up", "dnc_violation", "false_claims", "turn_cost", "shaping"), 0.0
        )

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    @property
    def outcome(self) -> Outcome:
        if self.reason is TerminationReason.SALE:
            return Outcome.SALE
        if self.reason is TerminationReason.APPOINTMENT:
            return Outcome.APPOINTMENT
        return Outcome.NO_CONVERSION

    def validate(self, role: Role, text: Any) -> None:
        """Raise :class:`InvalidActionError` if ``role`` may not say ``text`` now."""
        if self.done:
            raise InvalidActionError(f"the call has ended ({self.reason}); {role} cannot speak")
        if role != self.next_role:
            raise InvalidActionError(f"it is the {self.next_role}'s turn, not the {role}'s")
        if not isinstance(text, str):
            raise InvalidActionError(f"{role} action must be a str, got {type(text).__name__} {show(text)}")
        if len(text) > self.max_utterance_chars:
            raise InvalidActionError(
                f"{role} utterance has {len(text)} characters, more than max_utterance_chars={self.max_utterance_chars}:"
                f" {show(text)}"
            )

    def speak(self, role: Role, text: str, *, meta: dict[str, Any] | None = None,
              decision: CustomerDecision | None = None, intent: str | None = None) -> dict[str, float]:
        """Record an utterance; return the salesman reward components it earned.

        ``decision`` (customer only) is a structured decision that overrides the one read
        from the text. ``intent`` (salesman only) is the intent the agent declared; without
        one, the turn's intent is the primary act read from the text (``other`` if none),
        and its capability follows from the stage machine.
        """
        self.validate(role, text)
        if role is Role.CUSTOMER and intent is not None:
            raise InvalidActionError("only the salesman's turn takes an intent")
        if role is Role.SALESMAN:
            if decision is not None:
                raise InvalidActionError("only the customer's turn takes a decision")
            earned = self._salesman(text, meta, intent)
        else:
            earned = self._customer(text, meta, None if decision is None else CustomerDecision(decision))
        self.next_role = Role.CUSTOMER if role is Role.SALESMAN else Role.SALESMAN
        if not self.terminated and len(self.turns) >= self.scenario.max_turns:
            self.truncated = True
            self.reason = TerminationReason.MAX_TURNS
        for k, v in earned.items():
            self.components[k] += v
        return earned

    def end_with_infra_error(self, detail: str) -> None:
        """End the call because a backend failed; not the agent's fault, no reward.

        ``detail`` is stored in the transcript, so credentials a server echoed into an error
        message (``Authorization`` values, bearer tokens) are redacted first.
        """
        from aisalesman.core.llm.untrusted import redact

        self.terminated = True
        self.reason = TerminationReason.INFRA_ERROR
        self.infra_detail = redact(detail)

    def _salesman(self, text: str, meta: dict[str, Any] | None, intent: str | None) -> dict[str, float]:
        reading = self.reader.read_salesman(text)
        claims = self.reader.claims(text, self.scenario.product)
        machine = default_stage_machine()
        intent = intent or machine.primary(reading.acts) or OTHER_INTENT
        turn = Turn(len(self.turns), Role.SALESMAN, text, tuple(map(str, reading.acts)), None, claims, intent,
                    dict(meta or {}), machine.capability(intent))
        self.turns.append(turn)
        r = self.rewards
        earned = {"turn_cost": r.turn_cost}
        n_false = sum(1 for c in claims if not c.valid)
        if n_false:
            earned["false_claims"] = r.false_claim * n_false
        if self.reward_model is not None:
            earned["shaping"] = float(self.reward_model.score(turn, self))
        ending = any(a in reading.acts for a in _ENDING_SALES_ACTS)
        if self.dnc_requested:
            self.terminated = True
            if ending:
                self.reason = TerminationReason.DNC_HONOURED
            else:
                self.reason = TerminationReason.DNC_VIOLATED
                earned["dnc_violation"] = r.dnc_violation
        elif ending:
            self.terminated = True
            self.reason = TerminationReason.SALESMAN_ENDED
        return earned

    def _customer(self, text: str, meta: dict[str, Any] | None, structured: CustomerDecision | None) -> dict[str, float]:
        reading = self.reader.read_customer(text)
        acts = reading.acts
        decision = reading.decision
        if structured is not None:
            decision = structured.act
            acts = tuple(a for a in acts if a not in DECISION_PRECEDENCE) + ((decision,) if decision else ())
            meta = {**(meta or {}), "decision": str(structured)}
        turn = Turn(len(self.turns), Role.CUSTOMER, text, tuple(map(str, acts)), reading.objection, (), None, meta or {})
        self.turns.append(turn)
        if decision is CustomerAct.REQUEST_DNC:
            self.dnc_requested = True
        elif decision is CustomerAct.HANG_UP:
            self.terminated, self.reason = True, TerminationReason.HUNG_UP
            return {"hang_up": self.rewards.hang_up}
        elif decision is CustomerAct.REJECT:
            self.terminated, self.reason = True, TerminationReason.REJECTED
        elif decision is CustomerAct.ACCEPT:
            self.terminated = True
            if self._follow_up_only():
                self.reason = TerminationReason.APPOINTMENT
                return {"outcome": self.rewards.appointment}
            self.reason = TerminationReason.SALE
            return {"outcome": self.rewards.sale}
        return {}

    def _follow_up_only(self) -> bool:
        prev = self.turns[-2].acts if len(self.turns) >= 2 else ()
        return SalesAct.SCHEDULE_FOLLOW_UP in prev and SalesAct.PROPOSE_CLOSE not in prev
