"""Quick start: one sales call through the PettingZoo API, salesman and customer as agents.

Run: python examples/quickstart.py
"""

import aisalesman
from aisalesman.core.seeding import derive_seed

env = aisalesman.make_env("aisalesman/telesales-v0", personas="test", products="bistro-boost")
env.reset(seed=7)
salesman = aisalesman.make_agent("adaptive")
customer = aisalesman.make_customer("persona")
salesman.reset(env.scenario.salesman_view(), seed=derive_seed(7, "salesman"))
customer.reset(env.scenario, seed=derive_seed(7, "customer"))

for agent in env.agent_iter():
    observation, reward, terminated, truncated, info = env.last()
    if terminated or truncated:
        action = None
    elif agent == "salesman":
        action = salesman.act(env.salesman_observation()).text
    else:
        action = customer.respond(env.customer_observation()).text
    env.step(action)

print(env.render())
print("outcome:", env.call.outcome, "| reason:", env.call.reason, "| rewards:", env.call.components)
