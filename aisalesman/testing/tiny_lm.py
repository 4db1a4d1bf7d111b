"""A tiny randomly-initialised causal LM with a tokenizer trained on the fly (no hub).

For tests and speed benchmarks of the transformers backend: it loads through the same
``from_pretrained`` path as a real model, so the real loading code is exercised.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build_tiny_lm"]

_CORPUS = [
    "Hello, this is Sam calling about a product for your business.",
    "What is the biggest challenge for your restaurant right now?",
    "I'm not interested, please don't call me again.",
    "How much does it cost per month, and is there a contract?",
    "We already use a competitor for that, thanks.",
    "Okay, that sounds fair. Let's do it, sign me up.",
    '{"utterance": "No thanks, goodbye.", "decision": "reject"}',
    '{"utterance": "Tell me more.", "decision": "continue"}',
    "<|system|> <|user|> <|assistant|>",
]


def _package_texts() -> list[str]:
    """Our prompt templates and data files, so that prompts tokenise to realistic lengths."""
    from importlib import resources

    texts = []
    for package, folder, suffix in (("aisalesman.agents", "prompts", ".md"), ("aisalesman.customers", "prompts", ".md"),
                                    ("aisalesman.agents", "data", ".yaml"), ("aisalesman.customers", "data", ".yaml"),
                                    ("aisalesman.data", "products", ".yaml")):
        for res in sorted(resources.files(package).joinpath(folder).iterdir(), key=lambda r: r.name):
            if res.name.endswith(suffix):
                texts += res.read_text("utf-8").splitlines()
    return [t for t in texts if t.strip()]


def build_tiny_lm(path: str | Path, *, seed: int = 0, hidden_size: int = 64, layers: int = 2,
                  vocab_size: int = 4096) -> Path:
    """Write a tiny Llama-architecture model and its tokenizer to ``path``; return the path.

    The byte-level BPE tokenizer is trained on a few sentences plus our own prompt
    templates and data files. Weights are drawn under ``torch.random.fork_rng`` so torch's
    global RNG is untouched.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = Path(path)
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<pad>", "<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_CORPUS * 4 + _package_texts(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                                   padding_side="left")
    config = LlamaConfig(vocab_size=fast.vocab_size if hasattr(fast, "vocab_size") else len(fast),
                         hidden_size=hidden_size, intermediate_size=hidden_size * 2, num_hidden_layers=layers,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=4096,
                         bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path
