"""Talk to our simulated customers over HTTP, as another RL framework would.

Starts ``aisalesman serve``'s app on 127.0.0.1 (a free port, in a background thread), then
plays one call with the official ``openai`` client: the salesman's lines go in as ``user``
messages, the customer answers as the assistant, and the extra ``aisalesman`` field says
whether the call is over and what the salesman has earned. Equivalent from a shell:
``aisalesman serve --port 8089`` in one terminal and any OpenAI client in another.
"""

from openai import OpenAI

from aisalesman.data import load_personas, load_products
from aisalesman.serve import CustomerService, create_app
from aisalesman.testing.servers import running_server

SALESMAN = [
    "Hi, this is Jordan from Tastemark about BistroBoost. Do you have a minute?",
    "May I ask what your biggest challenge is at the moment?",
    "Our Growth plan is $99 a month and includes targeted promotions for your quiet hours.",
    "Shall we get you started on the Growth plan today?",
    "Shall we get you started on the Growth plan today?",
]

service = CustomerService(load_personas("test"), load_products("all"), seed=0)
with running_server(create_app(service)) as url:
    client = OpenAI(base_url=f"{url}/v1", api_key="unused")
    print(f"{len(client.models.list().data)} customers served at {url}/v1")
    messages = []
    for line in SALESMAN:
        messages.append({"role": "user", "content": line})
        reply = client.chat.completions.create(model="customer/test-0007", messages=messages)
        state = reply.model_extra["aisalesman"]
        print(f"salesman: {line}")
        if reply.choices[0].message.content:
            print(f"customer: {reply.choices[0].message.content}   [{state['decision']}]")
        if state["done"]:
            print(f"call over: {state['termination_reason']}; salesman reward {sum(state['reward_components'].values()):+.2f}")
            break
        messages.append({"role": "assistant", "content": reply.choices[0].message.content})
    else:
        print("call still open after the script")
