"""Local Hugging Face causal LM backend (registered as ``transformers``).

Requests that many dialogues make at the same time are gathered into one left-padded
batch and generated together (up to ``max_batch`` rows), on CPU or GPU. Sampling is done
per row with the row's own seeded generator (a logits processor picks each row's token;
``generate`` then follows it greedily), so a request's answer depends on its messages and
seed, not on the other rows in its batch or on torch's global RNG.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from aisalesman.core.errors import ConfigError, LLMError
from aisalesman.core.llm.base import BaseChatModel, ChatRequest, Completion, SamplingParams

__all__ = ["TransformersChatModel", "FALLBACK_CHAT_TEMPLATE"]

# Used when a tokenizer has no chat template of its own (base models, tiny test models).
FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _request_seed(request: ChatRequest) -> int:
    if request.params.seed is not None:
        return int(request.params.seed) & ((1 << 63) - 1)
    text = repr((request.messages, request.params.to_dict()))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def _row_sampler(params: list[SamplingParams], seeds: list[int]):
    import torch
    from transformers import LogitsProcessor

    sampled = [i for i, p in enumerate(params) if p.temperature > 0.0]

    class RowSampler(LogitsProcessor):
        def __init__(self) -> None:
            self.gens = [torch.Generator(device="cpu").manual_seed(s) for s in seeds]

        def __call__(self, input_ids, scores):
            # Greedy rows are left alone (generate takes their argmax); each sampled row is
            # narrowed to the one token its own generator drew.
            for i in sampled:
                p = params[i]
                probs = torch.softmax(scores[i].float() / p.temperature, dim=-1).cpu()
                if p.top_p < 1.0:
                    sorted_p, order = torch.sort(probs, descending=True)
                    keep = torch.cumsum(sorted_p, 0) - sorted_p < p.top_p
                    probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_p[keep])
                pick = int(torch.multinomial(probs, 1, generator=self.gens[i]))
                scores[i] = float("-inf")
                scores[i, pick] = 0.0
            return scores

    return RowSampler()


@dataclass
class _Queue:
    pending: list = field(default_factory=list)
    scheduled: bool = False
    running: bool = False
    tasks: set = field(default_factory=set)


class TransformersChatModel(BaseChatModel):
    """A causal LM from a local path or hub id, with batched generation.

    Args:
        model: Path or hub id (the hub is reached only if ``HF_HUB_OFFLINE`` is unset and
            the files are not cached).
        device: ``auto`` (GPU if there is one), ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``auto`` (bfloat16 on GPU, float32 on CPU), ``float32``, ``bfloat16``, ``float16``.
        max_batch: Most requests generated together.
        trust_remote_code: Passed to ``from_pretrained``.
    """

    def __init__(self, model: str = "", *, device: str = "auto", dtype: str = "auto", max_batch: int = 16,
                 trust_remote_code: bool = False, hf_model: Any = None, tokenizer: Any = None) -> None:
        super().__init__()
        import torch

        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ConfigError(f"max_batch must be a positive integer, got {max_batch!r}")
        self.max_batch = max_batch
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if not (device == "cpu" or device.startswith("cuda") or device == "mps"):
            raise ConfigError(f"device must be auto, cpu, cuda, cuda:N or mps, got {device!r}")
        self.device = device
        # On a GPU the batch runs in a worker thread so the event loop keeps serving other
        # backends meanwhile; on a CPU torch is much slower outside the main thread (its
        # OpenMP pool), so the batch runs inline and the loop waits for it.
        self.offload = device.startswith("cuda")
        dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        elif dtype in dtypes:
            torch_dtype = dtypes[dtype]
        else:
            raise ConfigError(f"dtype must be auto or one of {sorted(dtypes)}, got {dtype!r}")
        if hf_model is None or tokenizer is None:
            if not model:
                raise ConfigError("model: the transformers backend needs a model path or hub id")
            hf_model, tokenizer = self._load(model, torch_dtype, trust_remote_code)
        else:
            hf_model = hf_model.to(torch_dtype)
        self.name = model or getattr(hf_model.config, "_name_or_path", "") or "transformers"
        self.model = hf_model.to(device).eval()
        self.tokenizer = tokenizer
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        if not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        self._queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._gen_lock = threading.Lock()

    @staticmethod
    def _load(model: str, torch_dtype: Any, trust_remote_code: bool):
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        try:
            tok = AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
            lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch_dtype, trust_remote_code=trust_remote_code)
        except (OSError, ValueError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(f"model: cannot load transformers model {model!r}: {first}") from err
        return lm, tok

    # ------------------------------------------------------------ batching
    async def acomplete(self, request: ChatRequest) -> Completion:
        loop = asyncio.get_running_loop()
        q = self._queues.get(loop)
        if q is None:
            q = self._queues[loop] = _Queue()
        fut = loop.create_future()
        q.pending.append((request, fut))
        self._schedule(loop, q)
        return await fut

    # Loop iterations a batch waits before it is formed, so that calls woken by the previous
    # batch, and calls just started in place of finished ones, join it. Counting iterations
    # rather than time keeps batch composition independent of the clock.
    GATHER_HOPS = 8

    def _schedule(self, loop, q: _Queue) -> None:
        if not q.scheduled and not q.running:
            q.scheduled = True
            loop.call_soon(self._hop, loop, q, self.GATHER_HOPS)

    def _hop(self, loop, q: _Queue, left: int) -> None:
        if left > 0 and len(q.pending) < self.max_batch:
            loop.call_soon(self._hop, loop, q, left - 1)
        else:
            self._start(loop, q)

    def _start(self, loop, q: _Queue) -> None:
        q.scheduled = False
        if q.running or not q.pending:
            return
        q.running = True
        batch, q.pending = q.pending[: self.max_batch], q.pending[self.max_batch:]
        task = loop.create_task(self._run(loop, q, batch))
        q.tasks.add(task)
        task.add_done_callback(q.tasks.discard)

    async def _run(self, loop, q: _Queue, batch: list) -> None:
        reqs = [r for r, _ in batch]
        try:
            if self.offload:
                results: list[Any] = await loop.run_in_executor(None, self.generate_batch, reqs)
            else:
                results = self.generate_batch(reqs)
        except LLMError as err:
            results = [err] * len(batch)
        except Exception as err:  # a failing local model is an infrastructure error, not a crash
            results = [LLMError(f"local model {self.name!r} failed: {type(err).__name__}: {err}")] * len(batch)
        q.running = False
        for (_, fut), res in zip(batch, results, strict=True):
            if fut.done():
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
            else:
                fut.set_result(res)
        if q.pending:
            self._schedule(loop, q)

    # ---------------------------------------------------------- generation
    def prompt_text(self, request: ChatRequest) -> str:
        return self.tokenizer.apply_chat_template(list(request.messages), add_generation_prompt=True, tokenize=False)

    def generate_batch(self, requests: list[ChatRequest]) -> list[Completion]:
        """Generate all ``requests`` in one left-padded batch (blocking)."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        with self._gen_lock:
            tok = self.tokenizer
            prompts = [self.prompt_text(r) for r in requests]
            enc = tok(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
            params = [r.params for r in requests]
            max_new = max(p.max_tokens for p in params)
            want_lp = any(p.logprobs for p in params)
            cfg = GenerationConfig(do_sample=False, max_new_tokens=max_new, pad_token_id=tok.pad_token_id,
                                   eos_token_id=tok.eos_token_id, return_dict_in_generate=True, output_logits=want_lp)
            self.stats.add(calls=len(requests), batches=1)
            with torch.inference_mode():
                out = self.model.generate(
                    **enc, generation_config=cfg,
                    logits_processor=LogitsProcessorList([_row_sampler(params, [_request_seed(r) for r in requests])]),
                )
            width = enc["input_ids"].shape[1]
            new = out.sequences[:, width:].cpu()
            lps = None
            if want_lp:
                logits = torch.stack(out.logits, dim=1).float().log_softmax(-1).cpu()
                lps = logits.gather(-1, new.unsqueeze(-1)).squeeze(-1)
            results = []
            for i, p in enumerate(params):
                ids = new[i].tolist()[: p.max_tokens]
                finish = "length"
                if tok.eos_token_id is not None and tok.eos_token_id in ids:
                    ids = ids[: ids.index(tok.eos_token_id)]
                    finish = "stop"
                text = tok.decode(ids, skip_special_tokens=True)
                for stop in p.stop:
                    cut = text.find(stop)
                    if cut >= 0:
                        text, finish = text[:cut], "stop"
                        ids = tok(text, add_special_tokens=False)["input_ids"]
                prompt_tokens = int(enc["attention_mask"][i].sum())
                row_lp = tuple(float(x) for x in lps[i, : len(ids)]) if (lps is not None and p.logprobs) else None
                results.append(Completion(text, finish, prompt_tokens, len(ids), 0.0, self.name, row_lp))
                self.stats.add(completions=1, prompt_tokens=prompt_tokens, completion_tokens=len(ids))
            return results
