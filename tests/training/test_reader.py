"""Training reads through the run's reader: the RLlib env, the evaluation and the BC dataset."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

from aisalesman.core.config import load_config  # noqa: E402
from aisalesman.dialogue import DEFAULT_ENV_READER  # noqa: E402
from aisalesman.dialogue.reading import CustomerReading, ReaderBase, make_reader, readers  # noqa: E402
from aisalesman.dialogue.state import SALES_ACTS, SALESMAN_OBS_DIM  # noqa: E402
from aisalesman.evaluation.corpus_gen import generate_corpus  # noqa: E402
from aisalesman.training.config import TrainConfig  # noqa: E402
from aisalesman.training.data import bc_dataset  # noqa: E402
from aisalesman.training.rllib import MODULE_ID, SalesmanMultiAgentEnv, build_algorithm_config  # noqa: E402

pytestmark = pytest.mark.train

LEX = make_reader("lexicon")
NEEDS_FLAG = SALESMAN_OBS_DIM - 7  # the observation's "needs mentioned" entry (then dnc, closes, 4 CRM features)


class HearsNeed(ReaderBase):
    """The lexicon's reading, except that every customer turn mentions the need for more customers."""

    name = "test-training-hears-need"

    def _salesman(self, texts):
        return LEX.read_salesman_batch(texts)

    def _customer(self, texts):
        return [CustomerReading.of(r.acts, r.objection, ("more_customers",)) for r in LEX.read_customer_batch(texts)]

    def claims(self, text, product, *, plan=None):
        return LEX.claims(text, product)


@pytest.fixture(scope="module", autouse=True)
def _registered():
    readers.register(HearsNeed.name, HearsNeed, overwrite=True)
    yield
    readers._entries.pop(HearsNeed.name, None)  # the registry has no public removal: tests only


def test_the_train_config_names_a_reader_and_hands_it_to_the_env(tmp_path):
    assert TrainConfig().reader == DEFAULT_ENV_READER
    cfg = load_config(TrainConfig, overrides=[f"reader={HearsNeed.name}", f"out={tmp_path}"])
    assert build_algorithm_config(cfg).env_config["reader"] == HearsNeed.name


def test_the_rllib_env_reads_with_its_reader():
    flags = {}
    for name in (None, HearsNeed.name):
        env = SalesmanMultiAgentEnv({"personas": "test", "products": "bistro-boost", "reader": name})
        obs, _ = env.reset(seed=0)
        obs, *_ = env.step({MODULE_ID: SALES_ACTS.index("greet")})
        flags[name] = float(obs[MODULE_ID]["observation"][NEEDS_FLAG])
    assert flags == {None: 0.0, HearsNeed.name: 1.0}  # a greeting's reply mentions no need, unless the reader says so


def test_bc_examples_are_read_with_the_run_reader():
    dialogues = list(generate_corpus(4, seed=2))
    weights = {d.id: 1.0 for d in dialogues}
    default = bc_dataset(dialogues, weights)
    heard = bc_dataset(dialogues, weights, reader=HearsNeed())
    assert np.array_equal(default.action, heard.action)  # the same turns ...
    firsts = np.flatnonzero(default.obs[:, 0] == 0)
    later = np.setdiff1d(np.arange(len(heard.action)), firsts)
    assert heard.obs[later, NEEDS_FLAG].all()  # ... but after any customer turn a need was heard
    assert not default.obs[later, NEEDS_FLAG].all()
