"""The LLM intent classifier with a model whose output is hostile: a megabyte of it is not
quoted back in the repair prompt, and pathological JSON neither hangs nor crashes it."""

import pytest

from aisalesman.agents.intents import LLMIntentClassifier
from aisalesman.core.errors import LLMError
from aisalesman.core.llm.scripted import ScriptedChatModel


def test_a_megabyte_of_bad_output_is_not_quoted_back_in_full():
    asked = []

    def responder(request):
        asked.append(request.messages)
        return "y" * 1_000_000 if len(asked) == 1 else '{"intent": "greet"}'

    clf = LLMIntentClassifier(ScriptedChatModel(responder=responder))
    assert clf.classify("hello there", ["greet", "close"]).intent == "greet"
    first, repair = (sum(len(m["content"]) for m in msgs) for msgs in asked)
    assert repair - first < 3_000 and asked[1][-2]["content"].endswith("[... 998000 more characters cut]")


@pytest.mark.timeout(60)  # r"\{.*\}" was quadratic on a run of "{": hours for a megabyte
@pytest.mark.parametrize("bad", ["{" * 300_000, '{"intent": ' + "[" * 100_000 + "]" * 100_000 + "}"])
def test_pathological_output_is_an_llm_error_not_a_hang_or_a_crash(bad):
    clf = LLMIntentClassifier(ScriptedChatModel(responder=lambda r: bad))
    with pytest.raises(LLMError, match="no legal intent"):
        clf.classify("hello", ["greet"])
