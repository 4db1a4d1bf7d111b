"""The local transformers backend on a tiny randomly-initialised model (no hub, CPU)."""

import asyncio

import pytest

torch = pytest.importorskip("torch")

from aisalesman.core.config import LLMConfig  # noqa: E402
from aisalesman.core.errors import ConfigError  # noqa: E402
from aisalesman.core.llm import ChatRequest, SamplingParams, make_chat_model  # noqa: E402


@pytest.fixture(scope="module")
def model(tiny_lm_path):
    return make_chat_model(LLMConfig(backend="transformers", model=str(tiny_lm_path), device="cpu", max_batch=16))


def req(i, **params):
    params.setdefault("max_tokens", 12)
    msgs = ({"role": "system", "content": "You are a customer."},
            {"role": "user", "content": f"Hello number {i}, " * (i % 4 + 1)})
    return ChatRequest(msgs, SamplingParams(**params))


def test_loads_from_a_local_path_with_a_chat_template(model, tiny_lm_path):
    assert model.name == str(tiny_lm_path) and model.device == "cpu"
    prompt = model.prompt_text(req(0))
    assert "<|system|>" in prompt and prompt.endswith("<|assistant|>\n")


def test_batched_answers_equal_single_answers(model):
    reqs = [req(i, temperature=0.0 if i % 2 else 0.9, seed=100 + i) for i in range(8)]
    batched = model.batch(reqs)
    singles = [model.complete(r) for r in reqs]
    assert [c.text for c in batched] == [c.text for c in singles]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in singles]


def test_sampling_follows_the_seed_and_leaves_torch_rng_alone(model):
    state = torch.get_rng_state()
    a = model.complete(req(1, temperature=1.0, seed=1, max_tokens=16))
    b = model.complete(req(1, temperature=1.0, seed=1, max_tokens=16))
    c = model.complete(req(1, temperature=1.0, seed=2, max_tokens=16))
    assert a.text == b.text and a.text != c.text
    assert torch.equal(state, torch.get_rng_state())


def test_token_counts_finish_reason_and_logprobs(model):
    c = model.complete(req(2, max_tokens=5, logprobs=True))
    tok = model.tokenizer
    assert c.prompt_tokens == len(tok(model.prompt_text(req(2)), add_special_tokens=False)["input_ids"])
    assert c.completion_tokens <= 5
    assert c.finish_reason == ("length" if c.completion_tokens == 5 else "stop")
    assert c.logprobs is not None and len(c.logprobs) == c.completion_tokens and all(x <= 0 for x in c.logprobs)


def test_concurrent_requests_are_generated_in_batches(model):
    before_batches, before_calls = model.stats.batches, model.stats.calls
    reqs = [req(i, seed=i) for i in range(20)]

    async def many():
        return await asyncio.gather(*(model.acomplete(r) for r in reqs))

    results = asyncio.run(many())
    assert len(results) == 20 and model.stats.calls - before_calls == 20
    assert model.stats.batches - before_batches == 2  # 16 + 4 with max_batch=16
    assert [r.text for r in results] == [model.complete(r).text for r in reqs]


def test_bad_model_path_and_settings_are_one_line_errors(tmp_path, tiny_lm_path):
    with pytest.raises(ConfigError, match="cannot load transformers model") as info:
        make_chat_model(LLMConfig(backend="transformers", model=str(tmp_path / "nothing-here")))
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="device"):
        make_chat_model(LLMConfig(backend="transformers", model=str(tiny_lm_path), device="tpu"))
    with pytest.raises(ConfigError, match="dtype"):
        make_chat_model(LLMConfig(backend="transformers", model=str(tiny_lm_path), dtype="int3"))
