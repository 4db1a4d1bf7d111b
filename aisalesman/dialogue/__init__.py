"""What every role shares: reading utterances, the act tables, the stage machine, the template
realiser and the act-level state encoder.

This layer sits between :mod:`aisalesman.core` and the roles (:mod:`aisalesman.customers`,
:mod:`aisalesman.agents`): it imports only ``core``, and the customers, the agents, the
environments and the evaluation all read and write dialogue through it, so they cannot
disagree about what an utterance does.

- :mod:`~aisalesman.dialogue.acts`: :class:`CustomerMove`, decision precedence, act orders.
- :mod:`~aisalesman.dialogue.reading`: the :class:`Reader` protocol every role reads text through
  (acts, objections, needs, decisions, claims), its registry and :func:`make_reader`.
- :mod:`~aisalesman.dialogue.configured`: :func:`env_reader`, the reader a run uses when it is
  given a name, an instance or nothing (:data:`DEFAULT_ENV_READER`).
- :mod:`~aisalesman.dialogue.lexicon`: the cue phrases behind the ``lexicon`` reader (only
  :mod:`aisalesman.dialogue.readers.lexicon` calls it).
- :mod:`~aisalesman.dialogue.stages`: the salesman's stage machine (``data/stage_machine.yaml``).
- :mod:`~aisalesman.dialogue.realiser`: acts to salesman text (``data/templates.yaml``).
- :mod:`~aisalesman.dialogue.state`: the act-level observation of the salesman.
- :mod:`~aisalesman.dialogue.observation`: :class:`SalesObservation`, what a text salesman sees.
"""

from aisalesman.dialogue.acts import CUSTOMER_MOVES, DECISION_PRECEDENCE, CustomerMove
from aisalesman.dialogue.observation import SalesObservation
from aisalesman.dialogue.realiser import TemplateRealiser
from aisalesman.dialogue.stages import StageMachine, default_stage_machine
from aisalesman.dialogue.state import SalesmanActState

#: The reader every environment, customer, agent and command uses when none is configured
#: (``reader=`` / ``--reader`` / ``reader:``); the one place this default is set. It is still the
#: cue-phrase ``lexicon``: the built-in customer's calibration holds with it, and with the
#: ``learned`` readers the adaptive agent's lead over the scripted one is not yet clear of the
#: intervals (see the README's calibration section).
DEFAULT_ENV_READER = "lexicon"

__all__ = [
    "CUSTOMER_MOVES",
    "DECISION_PRECEDENCE",
    "DEFAULT_ENV_READER",
    "CustomerMove",
    "SalesObservation",
    "SalesmanActState",
    "StageMachine",
    "TemplateRealiser",
    "default_stage_machine",
]
