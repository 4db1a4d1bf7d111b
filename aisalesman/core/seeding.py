"""Seeds derived from one run seed.

Every stochastic component owns a :class:`random.Random` seeded from
``derive_seed(run_seed, *keys)``; nothing touches the global ``random`` or ``np.random``
state. Derivation hashes the keys with BLAKE2b, so it does not depend on
``PYTHONHASHSEED``, the process, or the order in which episodes run.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

__all__ = ["derive_seed", "make_rng"]

_MASK = (1 << 63) - 1


def derive_seed(run_seed: int, *keys: object) -> int:
    """A 63-bit child seed for ``keys`` (episode index, role, ...) under ``run_seed``."""
    if not isinstance(run_seed, int) or isinstance(run_seed, bool):
        raise TypeError(f"run seed must be an int, got {run_seed!r}")
    text = "\x1f".join([str(run_seed), *(str(k) for k in keys)])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & _MASK


def make_rng(run_seed: int, *keys: object) -> random.Random:
    """A private generator seeded with ``derive_seed(run_seed, *keys)``."""
    return random.Random(derive_seed(run_seed, *keys))


@contextlib.contextmanager
def global_random_kept() -> Iterator[None]:
    """Leave Python's global random state as it was on entry, whatever the block does.

    Some libraries draw from the global generator when imported (scikit-learn's and
    transformers' import chains do); our rule is that nothing we do touches it
    (``check_agent`` verifies this for every agent), so their first import goes in here.
    """
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)

