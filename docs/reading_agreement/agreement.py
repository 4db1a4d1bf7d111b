"""How far a second annotator agrees with the reading set's labels, scored as a reader would be.

The two files beside this script hold a blind second annotation of 370 lines drawn at random
(seed 7) from the shipped ``dev`` split: 220 customer turns and 150 salesman turns, labelled by a
separate helper session that saw only each text, its product and the label guide, never the
shipped labels. This script treats the second annotator as a reader and prints the figures
``aisalesman reader eval`` would print for it on those lines: a ceiling for what a reader can be
expected to reach on this data.

    python docs/reading_agreement/agreement.py
"""

from __future__ import annotations

import json
from pathlib import Path

from aisalesman.core.types import CustomerAct, SalesAct
from aisalesman.dialogue.reading import CustomerReading, SalesReading
from aisalesman.dialogue.reading_set import load_reading_set
from aisalesman.evaluation.reader_eval import score_reader

HERE = Path(__file__).parent


class SecondAnnotator:
    """A "reader" that answers with the second annotator's labels."""

    name = "second-annotator"

    def __init__(self) -> None:
        self.labels = {u.text: u for f in ("customer", "salesman")
                       for u in load_reading_set(path=HERE / f"{f}_second_annotator.jsonl")}

    def read_salesman_batch(self, texts):
        return [SalesReading.of([SalesAct(a) for a in self.labels[t].acts], self.labels[t].answers, ())
                for t in texts]

    def read_customer_batch(self, texts):
        return [CustomerReading.of({CustomerAct(a) for a in self.labels[t].acts}, self.labels[t].objection, ())
                for t in texts]


def main() -> None:
    second = SecondAnnotator()
    lines = [u for u in load_reading_set("dev") if u.text in second.labels and u.kind == "acts"]
    result = score_reader(second, lines, {})
    keys = ("salesman_act_macro_f1", "salesman_act_min_recall", "salesman_act_recall", "customer_act_recall",
            "customer_objection_accuracy", "customer_false_objection_rate", "customer_decision_accuracy", "n")
    print(json.dumps({k: round(result[k], 3) for k in keys}))


if __name__ == "__main__":
    main()
