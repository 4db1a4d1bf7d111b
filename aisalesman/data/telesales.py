"""A loader for TeleSalesCorpus-style files whose schema is not documented.

The public TeleSalesCorpus release is one JSON file of multi-turn sales dialogues; its field
names are not documented, and copies in the wild differ. :func:`load_telesales_corpus`
therefore *discovers* the schema instead of assuming one:

- **Dialogues**: a top-level list; a list under a key of a top-level object (``data``,
  ``dialogues``, ...); an object of id -> dialogue; or JSON lines.
- **Turns**: a dialogue is a list of turns or an object holding one (``turns``,
  ``messages``, ``conversation``, ``对话``, ...). Turns are objects (``{role, content}``,
  ``{speaker, text}``, ...) or ``"角色: 文本"`` / ``"speaker: text"`` strings.
- **Role and text keys** are chosen over the whole file: the role key is a short string
  field with few distinct values, the text key the longest string field. Role values are
  mapped from known names in English and Chinese (``salesman``, ``assistant``, ``销售``,
  ``客户``, ...); with exactly two unknown values, the one that speaks first is taken to be
  the salesman (outbound calls), which the report states.
- **Optional fields**: dialogue id, outcome (booleans, 0/1, ``success``/``成交``, ...),
  customer profile and product, kept in the dialogue's ``meta``.

Everything not mapped is counted in a :class:`CorpusLoadReport` (unknown keys, unknown role
values, unreadable outcomes, skipped dialogues and why). A file that cannot be read or
holds nothing dialogue-shaped is a :class:`~aisalesman.core.errors.DataFileError` naming it.

The loaded turns carry only speaker and text. :func:`label_dialogues` labels them through a
:class:`~aisalesman.dialogue.reading.Reader` (``aisalesman corpus import --reader``): acts and
intents of salesman turns, acts and objections of customer turns, and claims when the
dialogue's product is a shipped one, as the environment reads a live call.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aisalesman.core.errors import DataFileError
from aisalesman.core.files import parse_json, read_text
from aisalesman.core.transcript import Turn
from aisalesman.core.types import Role
from aisalesman.data.corpus import CorpusDialogue
from aisalesman.dialogue.configured import env_reader
from aisalesman.dialogue.reading import Reader
from aisalesman.dialogue.stages import default_stage_machine

__all__ = ["CorpusLoadReport", "label_dialogues", "load_corpus", "load_telesales_corpus"]

_OTHER_INTENT = "other"  # as in aisalesman.envs.call: a salesman turn with no act the stage machine knows

_CONTAINER_KEYS = ("dialogues", "dialogs", "conversations", "sessions", "data", "items", "records", "samples", "corpus")
_TURN_LIST_KEYS = ("turns", "messages", "dialogue", "dialog", "conversation", "conversations", "utterances",
                   "content", "history", "对话", "对话内容", "会话")
_ROLE_KEYS = ("role", "speaker", "from", "sender", "who", "author", "party", "角色", "说话人", "发言人")
_TEXT_KEYS = ("content", "text", "utterance", "value", "message", "sentence", "msg", "内容", "文本", "话术")
_ID_KEYS = ("id", "dialogue_id", "dialog_id", "conversation_id", "session_id", "conv_id", "uid", "编号")
_OUTCOME_KEYS = ("outcome", "label", "result", "success", "is_success", "converted", "conversion", "deal",
                 "status", "成交", "结果", "是否成交", "标签")
_PROFILE_KEYS = ("profile", "customer_profile", "user_profile", "persona", "customer", "customer_info",
                 "user_info", "客户画像", "用户画像", "客户信息")
_PRODUCT_KEYS = ("product", "product_name", "product_info", "item", "goods", "产品", "商品", "产品信息")

_SALESMAN = {"salesman", "sales", "salesperson", "seller", "agent", "assistant", "bot", "ai", "system_agent",
             "staff", "rep", "caller", "gpt", "销售", "客服", "坐席", "销售员", "业务员", "机器人", "电销", "营销员"}
_CUSTOMER = {"customer", "user", "client", "human", "buyer", "callee", "prospect", "客户", "用户", "顾客", "买家"}
_TRUE = {"true", "1", "yes", "y", "success", "successful", "sale", "sold", "converted", "win", "won", "deal",
         "accept", "accepted", "成交", "成功", "是", "已成交", "购买", "签约"}
_FALSE = {"false", "0", "no", "n", "failure", "fail", "failed", "lost", "loss", "reject", "rejected",
          "no_sale", "not_converted", "未成交", "失败", "否", "拒绝", "未购买"}
_PREFIXED = re.compile(r"^\s*([^:：]{1,16})\s*[:：]\s*(.+)$", re.DOTALL)


@dataclass
class CorpusLoadReport:
    """What a load found, used and could not map."""

    path: str
    layout: str = ""
    dialogues_found: int = 0
    dialogues_loaded: int = 0
    turns_loaded: int = 0
    role_key: str | None = None
    text_key: str | None = None
    id_key: str | None = None
    outcome_key: str | None = None
    profile_key: str | None = None
    product_key: str | None = None
    role_values: dict[str, str] = field(default_factory=dict)
    inferred_roles: bool = False
    unknown_role_values: Counter = field(default_factory=Counter)
    unmapped_dialogue_keys: Counter = field(default_factory=Counter)
    unmapped_turn_keys: Counter = field(default_factory=Counter)
    unreadable_outcomes: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    turns_skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: (dict(v.most_common()) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()}

    def lines(self) -> list[str]:
        """A human summary, one finding per line."""
        out = [f"{self.path}: {self.dialogues_loaded} of {self.dialogues_found} dialogues, "
               f"{self.turns_loaded} turns ({self.layout})",
               f"keys: role={self.role_key!r} text={self.text_key!r} id={self.id_key!r} "
               f"outcome={self.outcome_key!r} profile={self.profile_key!r} product={self.product_key!r}",
               "roles: " + ", ".join(f"{k!r}->{v}" for k, v in self.role_values.items())
               + (" (inferred: first speaker is the salesman)" if self.inferred_roles else "")]
        for name in ("unknown_role_values", "unmapped_dialogue_keys", "unmapped_turn_keys", "unreadable_outcomes",
                     "skipped"):
            counter = getattr(self, name)
            if counter:
                out.append(f"{name.replace('_', ' ')}: " + ", ".join(f"{k} ({v})" for k, v in counter.most_common(8)))
        if self.turns_skipped:
            out.append(f"turns skipped: {self.turns_skipped}")
        return out


def _read(path: Path) -> Any:
    """The file as JSON, or as JSON lines when it is not one JSON value but its first line is."""
    text = read_text(path)
    if not text.strip():
        raise DataFileError(path, "the file is empty")
    try:
        return parse_json(text, path)
    except DataFileError as err:
        whole = DataFileError(path, err.problem.replace("not valid JSON:", "not valid JSON or JSON lines:", 1))
        lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()]
        if len(lines) < 2:
            raise whole from err
        try:
            first = parse_json(lines[0][1], path, f"line {lines[0][0]}: ")
        except DataFileError:
            raise whole from err
        return [first, *(parse_json(ln, path, f"line {i}: ") for i, ln in lines[1:])]


def _pick(keys: Sequence[str], present: Mapping[str, Any] | Sequence[str]) -> str | None:
    lower = {str(k).lower(): k for k in present}
    return next((lower[k] for k in keys if k in lower), None)


def _is_turn(x: Any) -> bool:
    if isinstance(x, str):
        return bool(_PREFIXED.match(x))
    return isinstance(x, dict) and any(isinstance(v, str) and v.strip() for v in x.values())


def _turn_list_key(d: Mapping[str, Any]) -> str | None:
    """The key of ``d`` holding its turns: a known name first, else any list of turn-like items."""
    candidates = [k for k, v in d.items() if isinstance(v, list) and v and sum(map(_is_turn, v)) >= len(v) * 0.8]
    return _pick(_TURN_LIST_KEYS, candidates) or (candidates[0] if candidates else None)


def _looks_like_dialogue(x: Any) -> bool:
    if isinstance(x, list):
        return bool(x) and sum(map(_is_turn, x)) >= len(x) * 0.8
    return isinstance(x, dict) and _turn_list_key(x) is not None


def _dialogues(data: Any, report: CorpusLoadReport) -> list[tuple[str | None, Any]]:
    """``(id from the container or None, raw dialogue)`` pairs."""
    if isinstance(data, list):
        report.layout = "list of dialogues"
        return [(None, d) for d in data]
    if isinstance(data, dict):
        lists = {k: v for k, v in data.items() if isinstance(v, list) and v and _looks_like_dialogue(v[0])}
        key = _pick(_CONTAINER_KEYS, lists) or (next(iter(lists)) if len(lists) == 1 else None)
        if key is not None:
            report.layout = f"list of dialogues under {key!r}"
            for other in data:
                if other != key:
                    report.unmapped_dialogue_keys[f"(top level) {other}"] += 1
            return [(None, d) for d in data[key]]
        values = list(data.values())
        if values and sum(map(_looks_like_dialogue, values)) >= len(values) * 0.5:
            report.layout = "object of id -> dialogue"
            return [(str(k), v) for k, v in data.items()]
        if _looks_like_dialogue(data):
            report.layout = "a single dialogue"
            return [(None, data)]
    raise DataFileError(report.path, f"found no dialogues: the top level is a {type(data).__name__} with no list "
                                     "of dialogues, no id -> dialogue object and no turn list")


def _raw_turns(dialogue: Any) -> tuple[list[Any], dict[str, Any]]:
    """The dialogue's turns and its other fields."""
    if isinstance(dialogue, list):
        return dialogue, {}
    if not isinstance(dialogue, dict):  # a number or string where a dialogue should be: nothing usable
        return [], {}
    key = _turn_list_key(dialogue)
    return (dialogue[key], {k: v for k, v in dialogue.items() if k != key}) if key else ([], dict(dialogue))


def _turn_schema(all_turns: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """Choose the role and text keys from statistics over every turn object in the file."""
    counts: Counter = Counter()
    values: dict[str, Counter] = {}
    lengths: Counter = Counter()
    for t in all_turns:
        for k, v in t.items():
            if isinstance(v, str):
                counts[k] += 1
                values.setdefault(k, Counter())[v.strip().lower()] += 1
                lengths[k] += len(v)
    common = [k for k, c in counts.items() if c >= 0.8 * len(all_turns)]
    role_like = [k for k in common if len(values[k]) <= 8]
    role = _pick(_ROLE_KEYS, role_like) or next(
        (k for k in sorted(role_like, key=lambda k: len(values[k]))
         if any(v in _SALESMAN | _CUSTOMER for v in values[k])), None)
    if role is None and role_like:
        role = min(role_like, key=lambda k: (lengths[k] / counts[k], k))
    rest = [k for k in common if k != role]
    text = _pick(_TEXT_KEYS, rest) or (max(rest, key=lambda k: (lengths[k] / counts[k], k)) if rest else None)
    return role, text


def _role_map(first_speakers: Counter, role_values: Counter, report: CorpusLoadReport) -> dict[str, Role]:
    mapping: dict[str, Role] = {}
    unknown = []
    for value in role_values:
        if value in _SALESMAN:
            mapping[value] = Role.SALESMAN
        elif value in _CUSTOMER:
            mapping[value] = Role.CUSTOMER
        else:
            unknown.append(value)
    if len(unknown) == 2 and not mapping:
        first = max(unknown, key=lambda v: (first_speakers[v], v))
        mapping = {v: Role.SALESMAN if v == first else Role.CUSTOMER for v in unknown}
        report.inferred_roles = True
        unknown = []
    for v in unknown:
        report.unknown_role_values[v] = role_values[v]
    report.role_values = {k: str(v) for k, v in sorted(mapping.items())}
    return mapping


def _outcome(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower().replace(" ", "_").replace("-", "_")
        if v in _TRUE:
            return True
        if v in _FALSE:
            return False
    return None


def _split(raw: Any, role_key: str | None, text_key: str | None) -> tuple[str | None, str | None]:
    """``(role value, text)`` of one raw turn, or Nones."""
    if isinstance(raw, str):
        m = _PREFIXED.match(raw)
        return (m.group(1).strip().lower(), m.group(2).strip()) if m else (None, None)
    if isinstance(raw, dict) and role_key and text_key:
        role, text = raw.get(role_key), raw.get(text_key)
        if isinstance(role, str) and isinstance(text, str):
            return role.strip().lower(), text.strip()
    return None, None


def load_telesales_corpus(path: str | Path) -> tuple[list[CorpusDialogue], CorpusLoadReport]:
    """Load a TeleSalesCorpus-shaped JSON file (see the module docstring).

    Returns the dialogues (``source="telesales"``, ``label`` from the outcome field when
    readable, ``true_success`` unknown) and the report of what was and was not mapped.
    """
    path = Path(path)
    report = CorpusLoadReport(str(path))
    pairs = _dialogues(_read(path), report)
    report.dialogues_found = len(pairs)
    parsed = [(cid, *_raw_turns(d)) for cid, d in pairs]
    turn_objects = [t for _, turns, _ in parsed for t in turns if isinstance(t, dict)]
    role_key, text_key = _turn_schema(turn_objects) if turn_objects else (None, None)
    report.role_key, report.text_key = role_key, text_key
    role_values: Counter = Counter()
    first: Counter = Counter()
    for _, turns, _ in parsed:
        speakers = [r for r, _ in (_split(t, role_key, text_key) for t in turns) if r is not None]
        role_values.update(speakers)
        if speakers:
            first[speakers[0]] += 1
    if not role_values:
        raise DataFileError(path, "found no turns with a speaker and a text; turn keys seen: "
                                  + (", ".join(sorted({k for t in turn_objects for k in t})[:12]) or "none"))
    roles = _role_map(first, role_values, report)
    others = [o for _, _, o in parsed]
    keys = {k for o in others for k in o}
    report.id_key, report.outcome_key = _pick(_ID_KEYS, keys), _pick(_OUTCOME_KEYS, keys)
    report.profile_key, report.product_key = _pick(_PROFILE_KEYS, keys), _pick(_PRODUCT_KEYS, keys)
    used = {report.id_key, report.outcome_key, report.profile_key, report.product_key}
    for t in turn_objects:
        for k in t:
            if k not in (role_key, text_key):
                report.unmapped_turn_keys[k] += 1

    out: list[CorpusDialogue] = []
    for i, (cid, raw_turns, fields) in enumerate(parsed):
        for k in fields:
            if k not in used:
                report.unmapped_dialogue_keys[k] += 1
        turns: list[Turn] = []
        for raw in raw_turns:
            role, text = _split(raw, role_key, text_key)
            if role not in roles or not text:
                report.turns_skipped += 1
                continue
            turns.append(Turn(len(turns), roles[role], text))
        if not turns:
            report.skipped["no usable turns"] += 1
            continue
        if all(t.speaker is Role.CUSTOMER for t in turns):
            report.skipped["no salesman turn"] += 1
            continue
        label = None
        if report.outcome_key is not None and report.outcome_key in fields:
            label = _outcome(fields[report.outcome_key])
            if label is None:
                report.unreadable_outcomes[repr(fields[report.outcome_key])[:40]] += 1
        ident = fields.get(report.id_key) if report.id_key else None
        meta = {name: fields[key] for name, key in (("profile", report.profile_key), ("product", report.product_key))
                if key is not None and key in fields}
        product = meta.get("product")
        out.append(CorpusDialogue(
            id=str(ident if ident is not None else cid if cid is not None else f"tsc-{i:06d}"), turns=tuple(turns),
            label=label, labels=() if label is None else (label,), source="telesales",
            product=product if isinstance(product, str) else None, meta=meta,
        ))
        report.turns_loaded += len(turns)
    report.dialogues_loaded = len(out)
    if not out:
        raise DataFileError(path, f"no usable dialogues among {report.dialogues_found}: "
                                  + ", ".join(f"{k} ({v})" for k, v in report.skipped.items()))
    return out, report


def label_dialogues(dialogues: Sequence[CorpusDialogue], reader: str | Reader | None = None) -> list[CorpusDialogue]:
    """``dialogues`` with every turn labelled by ``reader`` (the project default if None).

    Salesman turns get their acts, the intent the stage machine derives from them (``other``
    when none is known) and its capability; customer turns get their acts (a decision among
    them) and the objection raised. Claims are checked when the dialogue's ``product`` is a
    shipped product's key (otherwise there is no knowledge base to check them against). Each
    dialogue's ``meta["reader"]`` records the reader's name. Texts are read in two batches.
    """
    from aisalesman.data.loading import builtin_product_names, load_product

    reader = env_reader(reader)
    turns = [t for d in dialogues for t in d.turns]
    sales = iter(reader.read_salesman_batch([t.text for t in turns if t.speaker is Role.SALESMAN]))
    said = iter(reader.read_customer_batch([t.text for t in turns if t.speaker is Role.CUSTOMER]))
    machine, shipped = default_stage_machine(), set(builtin_product_names())
    out = []
    for d in dialogues:
        product = load_product(d.product) if d.product in shipped else None
        labelled = []
        for t in d.turns:
            if t.speaker is Role.SALESMAN:
                acts = tuple(str(a) for a in next(sales).acts)
                intent = machine.primary(acts) or _OTHER_INTENT
                claims = reader.claims(t.text, product) if product is not None else ()
                labelled.append(replace(t, acts=acts, claims=claims, intent=intent, capability=machine.capability(intent)))
            else:
                reading = next(said)
                labelled.append(replace(t, acts=tuple(str(a) for a in reading.acts), objection=reading.objection))
        out.append(replace(d, turns=tuple(labelled), meta={**d.meta, "reader": reader.name}))
    return out


def _is_ours(path: Path) -> bool:
    """Whether ``path`` is in our corpus JSONL format (judged by its first record)."""
    if path.suffix != ".jsonl" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8-sig") as fh:  # a byte-order mark is not part of the first record
            first = next((ln for ln in fh if ln.strip()), "")
        record = json.loads(first)
    except (OSError, ValueError, RecursionError):  # not UTF-8, not JSON, a huge number, deep nesting
        return False
    return isinstance(record, dict) and {"id", "turns", "source", "label"} <= set(record)


def load_corpus(path: str | Path) -> tuple[list[CorpusDialogue], CorpusLoadReport | None]:
    """Any corpus file: our JSONL format as is, anything else through schema discovery."""
    from aisalesman.data.corpus import read_corpus_jsonl

    path = Path(path)
    if _is_ours(path):
        return read_corpus_jsonl(path), None
    return load_telesales_corpus(path)
