"""Register your own salesman and benchmark it against the built-in ones.

A salesman is any class with ``reset(view, *, seed)`` and ``act(observation) -> AgentTurn``.
Registering it under a name makes it usable everywhere a built-in agent is. To ship it in
your own package instead, declare an entry point in the ``aisalesman.agents`` group.

Run: python examples/register_agent.py
"""

import random

import aisalesman
from aisalesman.agents import AgentTurn, TemplateRealiser
from aisalesman.core.config import BenchmarkConfig
from aisalesman.core.types import SalesAct


@aisalesman.register("evidence_first")
class EvidenceFirstAgent:
    """Greets, gives social proof, pitches, then closes; honours do-not-call requests."""

    plan = [(SalesAct.GREET, SalesAct.INTRODUCE), (SalesAct.EVIDENCE,), (SalesAct.PRESENT_PRODUCT,)]

    def reset(self, view, *, seed):
        self.realiser = TemplateRealiser(view, random.Random(seed))
        self.step = 0

    def act(self, observation):
        last = observation.last_customer_turn
        if last is not None and "request_dnc" in last.acts:
            acts = (SalesAct.HONOUR_DNC,)
        elif self.step < len(self.plan):
            acts = self.plan[self.step]
        else:
            acts = (SalesAct.PROPOSE_CLOSE,)
        self.step += 1
        return AgentTurn(self.realiser.realise(acts), acts)


if __name__ == "__main__":
    config = BenchmarkConfig(agents=["evidence_first", "scripted"], personas="dev", trials=2,
                             out="runs/register_agent_example")
    result = aisalesman.run_benchmark(config, overwrite=True)
    for row in result.rows:
        print(f"{row['agent']:>15}: conversion {row['conversion_rate']:.1%} "
              f"[{row['ci_low']:.1%}, {row['ci_high']:.1%}] over {row['episodes']} calls")
