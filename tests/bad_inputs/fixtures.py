"""The files every bad-input case finds in its working directory (see tests/test_bad_inputs.py).

Names say what is wrong with each file: ``p_`` persona banks, ``pr_`` products, ``cfg_``
benchmark configs, ``tc_`` train configs, ``ac_`` agent configs, ``c_`` corpora in our JSONL
format, ``ts_`` corpora for schema discovery, ``w_`` weights, ``lb_*/`` run directories for
``report``, ``run_*/`` benchmark runs for ``--resume``.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DEEP = 100_000  # nesting depth of the "deep" files: far past the interpreter's recursion limit
HUGE_INT = "9" * 5000  # past Python's 4300-digit limit on int(str)
LATIN1 = "Jos\xe9".encode("latin-1")  # not UTF-8
BINARY = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # a PNG header: not UTF-8 from the first byte
DIRECTORIES = ("adir.jsonl", "adir.json", "adir.yaml", "ckpt", "emptyrun", "lb_isdir/leaderboard.json", "ro")


# What is wrong with each bad input file, as the error line must name it (the file's name aside).

PERSONA_FILES = {
    "nope.jsonl": "no such file", "adir.jsonl": "directory", "p_empty.jsonl": "no personas",
    "p_blank.jsonl": "no personas", "p_binary.jsonl": "UTF-8", "p_latin1.jsonl": "UTF-8", "p_utf16.jsonl": "UTF-8",
    "p_array_line.jsonl": "record 2", "p_string_line.jsonl": "record 1", "p_number_line.jsonl": "record 1",
    "p_null_line.jsonl": "record 1", "p_bad_json.jsonl": "line 1", "p_deep.jsonl": "nested", "p_deep.json": "nested",
    "p_deep.yaml": "nested", "p_deep_map.yaml": "nested", "p_huge_int.jsonl": "line 1", "p_dup.jsonl": "duplicate",
    "p_top_dict.yaml": "list", "p_top_scalar.json": "list", "p_personas_not_list.yaml": "list",
    "p_empty.yaml": "empty", "p_tab.yaml": "YAML", "p_python_tag.yaml": "YAML", "p_budget_nan.jsonl": "budget",
    "p_budget_inf.jsonl": "budget", "p_budget_1e999.jsonl": "budget", "p_budget_inf.yaml": "budget",
    "p_metric_nan.jsonl": "metrics", "p_metric_inf.jsonl": "metrics", "p_strength_nan.jsonl": "strength",
    "p_unknown_key.jsonl": "mood", "p_wrong_type.jsonl": "employees", "p_missing_field.jsonl": "hidden",
    "p_bad_id.jsonl": "id", "p_segment.jsonl": "segment", "p_patience.jsonl": "patience",
    "p_laughs.yaml": "aliases", "/dev/zero": "regular file",
}
SOME_PERSONA_FILES = {k: PERSONA_FILES[k] for k in ("nope.jsonl", "adir.jsonl", "p_binary.jsonl", "p_deep.json",
                                                    "p_budget_inf.jsonl", "p_metric_nan.jsonl", "p_array_line.jsonl")}
PRODUCT_FILES = {
    "pr_nope.yaml": "no such file", "adir.yaml": "directory", "pr_price_nan.yaml": "price",
    "pr_price_inf.yaml": "price", "pr_fee_inf.yaml": "setup_fee", "pr_discount_nan.yaml": "max_discount_pct",
    "pr_latin1.yaml": "UTF-8", "pr_utf16.yaml": "UTF-8", "pr_binary.yaml": "UTF-8", "pr_empty.yaml": "empty",
    "pr_list.yaml": "", "pr_scalar.yaml": "", "pr_deep.yaml": "nested", "pr_huge_int.yaml": "digits",
    "pr_bad_yaml.yaml": "YAML", "pr_unknown_key.yaml": "colour", "pr_wrong_type.yaml": "plans",
    "pr_bad_key.yaml": "key", "pr_dup_plan.yaml": "duplicate", "pr_missing.yaml": "terms", "pr_nan.json": "price",
    "pr_deep.json": "nested", "/dev/zero": "regular file",
}
SOME_PRODUCT_FILES = {k: PRODUCT_FILES[k] for k in ("pr_nope.yaml", "adir.yaml", "pr_price_inf.yaml",
                                                    "pr_latin1.yaml", "pr_deep.yaml", "pr_wrong_type.yaml")}
CORPUS_FILES = {
    "nope.jsonl": "no such file", "adir.jsonl": "directory", "ts_empty.json": "empty", "ts_blank.jsonl": "empty",
    "ts_binary.json": "UTF-8", "ts_latin1.json": "UTF-8", "ts_utf16.json": "UTF-8", "ts_bad.json": "JSON",
    "ts_deep.json": "nested", "ts_deep_obj.json": "nested", "ts_number.json": "int", "ts_string.json": "str",
    "ts_null.json": "NoneType", "ts_true.json": "bool", "ts_empty_list.json": "", "ts_empty_obj.json": "",
    "ts_numbers.json": "", "ts_lists.json": "", "ts_no_turns.json": "", "ts_huge_int.json": "digits",
    "ts_arrays.jsonl": "", "ts_strings.jsonl": "", "ts_numbers.jsonl": "", "ts_nulls.jsonl": "", "ts_mixed.jsonl": "",
    "ts_deep_line.jsonl": "nested", "/dev/zero": "regular file",
}
OUR_CORPUS_FILES = {
    "c_label_str.jsonl": "label", "c_labels_str.jsonl": "labels", "c_true_success_str.jsonl": "true_success",
    "c_seed_str.jsonl": "seed", "c_label_noise_nan.jsonl": "label_noise", "c_turns_str.jsonl": "record 1",
    "c_speaker.jsonl": "robot", "c_text_num.jsonl": "text", "c_meta_list.jsonl": "meta",
    "c_index_str.jsonl": "index", "c_claims.jsonl": "record 1", "c_acts_num.jsonl": "acts",
    "c_agent_mixed.jsonl": "agent", "c_segment_mixed.jsonl": "segment", "c_second_array.jsonl": "record 2",
    "c_second_deep.jsonl": "nested", "c_second_latin1.jsonl": "UTF-8", "c_second_huge.jsonl": "line 2",
}
SOME_CORPUS_FILES = {k: {**CORPUS_FILES, **OUR_CORPUS_FILES}[k] for k in (
    "nope.jsonl", "adir.jsonl", "ts_empty.json", "ts_binary.json", "ts_latin1.json", "ts_deep.json", "ts_arrays.jsonl",
    "c_second_deep.jsonl", "c_second_latin1.jsonl", "c_label_str.jsonl")}


def _set(record: dict, dotted: str, value: Any) -> dict:
    out = copy.deepcopy(record)
    *parents, last = dotted.split(".")
    node = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return out


_DELETE = object()


def _jsonl(*records: Any) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def _yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def _deep(open_: str = "[", close: str = "]") -> bytes:
    return (open_ * DEEP + close * DEEP).encode()


def _laughs() -> bytes:
    """A "billion laughs" YAML list: nine levels of ten aliases expand to 10**9 values."""
    lines = ["- &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"- &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


def _persona() -> dict:
    from aisalesman.data import load_personas

    return load_personas("test")[0].model_dump(mode="json")


def _persona_files() -> dict[str, bytes]:
    p = _persona()
    q = _set(p, "id", "test-x")
    bad = {
        "budget_nan": ("hidden.budget", float("nan")), "budget_inf": ("hidden.budget", float("inf")),
        "metric_nan": ("crm.metrics.avg_ticket", float("nan")), "metric_inf": ("crm.metrics.x", float("-inf")),
        "strength_nan": ("hidden.objections.0.strength", float("nan")), "unknown_key": ("crm.mood", "grumpy"),
        "wrong_type": ("crm.employees", "many"), "missing_field": ("hidden", _DELETE), "bad_id": ("id", "a/b"),
        "segment": ("hidden.segment", "lukewarm"), "patience": ("hidden.patience", 10**9),
    }
    files = {f"p_{name}.jsonl": _jsonl(_set(p, k, v)) for name, (k, v) in bad.items()}
    line = json.dumps(q)
    files.update({
        "personas.jsonl": _jsonl(p, q), "personas.yaml": _yaml([p, q]), "p_bom.jsonl": b"\xef\xbb\xbf" + _jsonl(p),
        "p_empty.jsonl": b"", "p_blank.jsonl": b"\n  \n\n", "p_binary.jsonl": BINARY,
        "p_latin1.jsonl": line.encode().replace(b'"test-x"', b'"test-' + LATIN1 + b'"') + b"\n",
        "p_utf16.jsonl": line.encode("utf-16"), "p_array_line.jsonl": _jsonl(p) + b"[1, 2]\n",
        "p_string_line.jsonl": b'"a persona"\n', "p_number_line.jsonl": b"42\n", "p_null_line.jsonl": b"null\n",
        "p_bad_json.jsonl": b'{"id": \n', "p_deep.jsonl": _deep() + b"\n", "p_deep.json": _deep(),
        "p_deep.yaml": _deep(), "p_deep_map.yaml": _deep("{a: ", "}"), "p_huge_int.jsonl":
        line.replace('"employees": 25', f'"employees": {HUGE_INT}').encode() + b"\n",
        "p_dup.jsonl": _jsonl(p, p), "p_top_dict.yaml": b"name: not a list\n", "p_top_scalar.json": b"42",
        "p_personas_not_list.yaml": b"personas: 5\n", "p_empty.yaml": b"", "p_tab.yaml": b"- a:\n\t- b\n",
        "p_python_tag.yaml": b"- !!python/object/apply:os.system ['echo hi']\n",
        "p_budget_1e999.jsonl": line.replace('"budget": 140.0', '"budget": 1e999').encode() + b"\n",
        "p_laughs.yaml": _laughs(),
        "p_budget_inf.yaml": _yaml([_set(p, "hidden.budget", 1.0)]).replace(b"budget: 1.0", b"budget: .inf"),
    })
    return files


def _product() -> dict:
    text = resources.files("aisalesman.data").joinpath("products/bistro-boost.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _product_files() -> dict[str, bytes]:
    pr = _product()
    valid = _yaml(pr)
    bad = {"unknown_key": ("colour", "red"), "wrong_type": ("plans", "cheap"), "bad_key": ("key", "Bistro Boost"),
           "dup_plan": ("plans", [pr["plans"][0], pr["plans"][0]]), "missing": ("terms", _DELETE)}
    files = {f"pr_{name}.yaml": _yaml(_set(pr, k, v)) for name, (k, v) in bad.items()}
    files.update({
        "product.yaml": valid, "pr_price_nan.yaml": valid.replace(b"price: 49", b"price: .nan"),
        "pr_price_inf.yaml": valid.replace(b"price: 49", b"price: .inf"),
        "pr_fee_inf.yaml": _yaml(_set(pr, "terms.setup_fee", 1.0)).replace(b"setup_fee: 1.0", b"setup_fee: .inf"),
        "pr_discount_nan.yaml": _yaml(_set(pr, "max_discount_pct", 1.0)).replace(b"max_discount_pct: 1.0",
                                                                                  b"max_discount_pct: .nan"),
        "pr_latin1.yaml": valid.replace(b"name: BistroBoost", b"name: " + LATIN1), "pr_utf16.yaml":
        valid.decode().encode("utf-16"), "pr_binary.yaml": BINARY, "pr_empty.yaml": b"", "pr_list.yaml": b"- a\n- b\n",
        "pr_scalar.yaml": b"hello\n", "pr_deep.yaml": _deep(), "pr_huge_int.yaml":
        valid.replace(b"price: 49", b"price: " + HUGE_INT.encode()), "pr_bad_yaml.yaml": b"key: [unclosed\n",
        "pr_nan.json": json.dumps(_set(pr, "plans.0.price", float("nan"))).encode(), "pr_deep.json": _deep(),
    })
    return files


def _config_files() -> dict[str, bytes]:
    files = {
        "cfg_list.yaml": b"- trials\n", "cfg_scalar.yaml": b"trials\n", "cfg_unknown.yaml": b"nosuch: 1\n",
        "cfg_nested_unknown.yaml": b"customer_llm:\n  nosuch: 1\n", "cfg_trials_str.yaml": b"trials: many\n",
        "cfg_trials_nan.yaml": b"trials: .nan\n", "cfg_trials_inf.yaml": b"trials: .inf\n",
        "cfg_trials_float.yaml": b"trials: 1.5\n", "cfg_trials_huge.yaml": b"trials: 1000000000000\n",
        "cfg_trials_bigint.yaml": b"trials: " + HUGE_INT.encode() + b"\n", "cfg_seed_inf.yaml": b"seed: .inf\n",
        "cfg_temp_nan.yaml": b"customer_llm:\n  temperature: .nan\n",
        "cfg_timeout_inf.yaml": b"salesman_llm:\n  timeout: .inf\n",
        "cfg_price_nan.yaml": b"customer_llm:\n  price_prompt: .nan\n", "cfg_agents_empty.yaml": b"agents: []\n",
        "cfg_agents_str.yaml": b"agents: scripted\n", "cfg_agent_config_list.yaml": b"agent_config: [1, 2]\n",
        "cfg_deep.yaml": _deep(), "cfg_laughs.yaml": b"a:\n" + _laughs(), "cfg_deep_map.yaml": _deep("{a: ", "}"),
        "cfg_latin1.yaml": b"goal: " + LATIN1 + b"\n",
        "cfg_utf16.yaml": "trials: 1\n".encode("utf-16"), "cfg_binary.yaml": BINARY, "cfg_bad.yaml": b"trials: [1\n",
        "cfg_nan.json": b'{"trials": NaN}', "cfg_deep.json": _deep(), "cfg_workers_huge.yaml": b"workers: 100000000\n",
        "ac_list.yaml": b"- scripted\n", "ac_args_list.yaml": b"scripted: [1, 2]\n",
        "ac_unknown_agent.yaml": b"nosuch: {}\n", "ac_unknown_arg.yaml": b"scripted:\n  bogus: 1\n",
        "ac_nan.yaml": b"random:\n  false_claim_prob: .nan\n", "ac_deep.json": _deep(),
        "ac_latin1.yaml": b"scripted:\n  name: " + LATIN1 + b"\n",
        "tc_unknown.yaml": b"ppo:\n  nosuch: 1\n", "tc_list.yaml": b"- ppo\n", "tc_lr_nan.yaml": b"ppo:\n  lr: .nan\n",
        "tc_deep.yaml": _deep("{a: ", "}"), "tc_latin1.yaml": b"method: " + LATIN1 + b"\n",
        "tc_steps_inf.yaml": b"env_steps: .inf\n",
    }
    return files


def _corpus_record(**changes: Any) -> dict:
    record = {"id": "d1", "source": "synthetic", "agent": "scripted", "segment": "warm",
              "turns": [{"index": 0, "speaker": "salesman", "text": "Hello, this is Sam from Tastemark.",
                         "acts": ["greet"], "intent": "greet"},
                        {"index": 1, "speaker": "customer", "text": "Hi, what is it about?", "acts": ["ask_question"]}],
              "termination_reason": "sale", "true_success": True, "labels": [True], "label": True}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not _DELETE}


def _corpus_files() -> dict[str, bytes]:
    good = _corpus_record()
    bad = {"label_str": {"label": "yes"}, "labels_str": {"labels": "yes"}, "true_success_str": {"true_success": "yes"},
           "seed_str": {"seed": "x"}, "label_noise_nan": {"label_noise": float("nan")}, "turns_str": {"turns": "hello"},
           "speaker": {"turns": [{"speaker": "robot", "text": "hi"}]}, "text_num": {"turns": [{"speaker": "salesman",
           "text": 5}]}, "meta_list": {"meta": [1, 2]}, "index_str":
           {"turns": [{"index": "x", "speaker": "salesman", "text": "hi"}]}, "claims": {"turns": [{"speaker": "salesman",
           "text": "hi", "claims": [{"bogus": 1}]}]}, "acts_num": {"turns": [{"speaker": "salesman", "text": "hi",
           "acts": 5}]}}
    files = {f"c_{name}.jsonl": _jsonl(_corpus_record(**change)) for name, change in bad.items()}
    files.update({
        "corpus.jsonl": _jsonl(good, _corpus_record(id="d2", label=False, labels=[False], true_success=False)),
        "c_bom.jsonl": b"\xef\xbb\xbf" + _jsonl(good), "cfg_bom.yaml": b"\xef\xbb\xbftrials: 1\n",
        "c_agent_mixed.jsonl": _jsonl(good, _corpus_record(id="d2", agent=5)),
        "c_segment_mixed.jsonl": _jsonl(good, _corpus_record(id="d2", segment=["warm"])),
        "c_second_array.jsonl": _jsonl(good) + b"[1, 2]\n", "c_second_deep.jsonl": _jsonl(good) + _deep() + b"\n",
        "c_second_latin1.jsonl": _jsonl(good) + b'{"id": "' + LATIN1 + b'"}\n',
        "c_second_huge.jsonl": _jsonl(good) + b'{"seed": ' + HUGE_INT.encode() + b"}\n",
        "c_unlabelled.jsonl": _jsonl(_corpus_record(label=None, labels=[])),
        "ts_deep.json": _deep(), "ts_deep_obj.json": _deep('{"a": ', "}"), "ts_number.json": b"42",
        "ts_string.json": b'"hello"', "ts_null.json": b"null", "ts_true.json": b"true", "ts_empty_list.json": b"[]",
        "ts_empty_obj.json": b"{}", "ts_numbers.json": b"[1, 2, 3]", "ts_lists.json": b"[[], []]",
        "ts_no_turns.json": json.dumps([{"id": 1, "foo": "bar"}]).encode(), "ts_huge_int.json":
        b'[{"turns": [{"role": "sales", "text": "hi"}], "n": ' + HUGE_INT.encode() + b"}]",
        "ts_latin1.json": b'[{"turns": [{"role": "sales", "text": "' + LATIN1 + b'"}]}]',
        "ts_utf16.json": '[{"turns": [{"role": "sales", "text": "hi"}]}]'.encode("utf-16"), "ts_binary.json": BINARY,
        "ts_bad.json": b'[{"turns": ', "ts_empty.json": b"", "ts_blank.jsonl": b"\n \n",
        "ts_arrays.jsonl": b"[1, 2]\n[3, 4]\n", "ts_strings.jsonl": b'"a"\n"b"\n', "ts_numbers.jsonl": b"1\n2\n",
        "ts_nulls.jsonl": b"null\nnull\n", "ts_mixed.jsonl": b'{"turns": []}\n[1, 2]\n',
        "ts_deep_line.jsonl": b'{"a": 1}\n' + _deep() + b"\n",
    })
    return files


def _weights_files() -> dict[str, bytes]:
    return {
        "w_nan.json": b'{"d1": NaN}', "w_inf.json": b'{"d1": Infinity}', "w_big.json": b'{"d1": 2}',
        "w_str.json": b'{"d1": "high"}', "w_arrays.json": b"[[1, 2]]", "w_noid.jsonl": b'{"weight": 0.5}\n',
        "w_arrays.jsonl": b"[1, 2]\n", "w_deep.json": _deep(), "w_latin1.json": b'{"' + LATIN1 + b'": 0.5}',
        "w_binary.json": BINARY, "w_empty.json": b"", "w_scalar.json": b"0.5",
        "w_posterior_bad.json": b'{"format": "aisalesman-posterior", "version": 1}',
        "w_posterior_v99.json": b'{"format": "aisalesman-posterior", "version": 99}',
    }


def _row() -> dict:
    segment = {"episodes": 2, "conversion_rate": 0.5, "ci_low": 0.1, "ci_high": 0.9}
    return {"agent": "scripted", "episodes": 2, "conversion_rate": 0.5, "ci_low": 0.1, "ci_high": 0.9,
            "pass_hat_k": 0.5, "k": 1, "hang_up_rate": 0.0, "dnc_violations": 0, "false_claim_rate": 0.0,
            "infra_errors": 0, "by_segment": {"warm": segment},
            "fidelity": {"customer_turns": 3, "role_inversion_rate": 0.0, "persona_drift_rate": 0.0}}


def _leaderboard_files() -> dict[str, bytes]:
    row = _row()
    bad: dict[str, Any] = {
        "object": {"agent": "x"}, "number": 42, "string": "table", "null": None, "numbers": [1, 2],
        "arrays": [[1, 2]], "no_agent": [_set(row, "agent", _DELETE)], "rate_str": [_set(row, "conversion_rate", "x")],
        "segment_list": [_set(row, "by_segment", [1])], "segment_row_str": [_set(row, "by_segment.warm", "x")],
        "episodes_neg": [_set(row, "episodes", -1)], "fidelity_str": [_set(row, "fidelity", "x")],
    }
    files = {f"lb_{name}/leaderboard.json": json.dumps(value).encode() for name, value in bad.items()}
    files.update({
        "lb_good/leaderboard.json": json.dumps([row]).encode(), "lb_bom/leaderboard.json":
        b"\xef\xbb\xbf" + json.dumps([row]).encode(), "lb_empty/leaderboard.json": b"",
        "lb_blank/leaderboard.json": b"  \n", "lb_binary/leaderboard.json": BINARY,
        "lb_latin1/leaderboard.json": json.dumps([row]).encode().replace(b'"scripted"', b'"' + LATIN1 + b'"'),
        "lb_utf16/leaderboard.json": json.dumps([row]).encode("utf-16"), "lb_bad/leaderboard.json": b"[{",
        "lb_deep/leaderboard.json": _deep(), "lb_nan/leaderboard.json": json.dumps([_set(row, "conversion_rate",
                                                                                           float("nan"))]).encode(),
        "lb_huge_int/leaderboard.json": b'[{"episodes": ' + HUGE_INT.encode() + b"}]",
    })
    return files


def _run_files() -> dict[str, bytes]:
    """Benchmark runs to ``--resume``: transcripts whose lines are not transcript records."""
    lines = {"latin1": b'{"episode_id": "' + LATIN1 + b'"}\n', "array": b"[1, 2]\n", "string": b'"episode"\n',
             "noid": b'{"agent": "x"}\n', "deep": _deep() + b"\n", "binary": BINARY + b"\n",
             "huge": b'{"episode_id": ' + HUGE_INT.encode() + b"}\n", "partial": b'[1]\n{"episode_id": "a'}
    return {f"run_{name}/transcripts.jsonl": line for name, line in lines.items()}


@lru_cache(maxsize=1)
def all_files() -> dict[str, bytes]:
    """Relative path -> content of every fixture file."""
    files: dict[str, bytes] = {"notes.txt": b"not a directory\n", "existing.jsonl": b"keep me\n",
                               "existing.json": b"{}\n", "ro/keep.txt": b"read-only dir\n"}
    for part in (_persona_files, _product_files, _config_files, _corpus_files, _weights_files, _leaderboard_files,
                 _run_files):
        files.update(part())
    return files


def populate(root: Path) -> None:
    """Write every fixture into ``root`` (``ro/`` is made read-only by the caller)."""
    for name in DIRECTORIES:
        (root / name).mkdir(parents=True, exist_ok=True)
    for name, content in all_files().items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
