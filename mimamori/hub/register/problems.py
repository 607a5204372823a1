"""Why a change is refused, field by field, in Japanese and in English.

pydantic says what is wrong in English; staff read Japanese first. The common kinds
of mistake get their Japanese here; the register's own rules (``checks.py``) say
theirs in both languages themselves.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from mimamori.errors import FieldProblem

# pydantic's error type -> the Japanese, with its context ({max_length}...) filled in.
_JA: dict[str, str] = {
    "missing": "必須の項目です",
    "extra_forbidden": "この項目は使えません",
    "string_too_short": "空にはできません",
    "string_too_long": "長すぎます（{max_length} 文字まで）",
    "string_pattern_mismatch": "書き方が正しくありません",
    "string_type": "文字で書いてください",
    "too_short": "少なくとも {min_length} 件必要です",
    "too_long": "多すぎます（{max_length} 件まで）",
    "greater_than": "{gt} より大きくしてください",
    "greater_than_equal": "{ge} 以上にしてください",
    "less_than": "{lt} より小さくしてください",
    "less_than_equal": "{le} 以下にしてください",
    "float_parsing": "数ではありません",
    "float_type": "数ではありません",
    "int_parsing": "整数ではありません",
    "bool_parsing": "はい・いいえ（true / false）で答えてください",
    "bool_type": "はい・いいえ（true / false）で答えてください",
    "date_parsing": "日付（2031-05-12 の形）ではありません",
    "date_from_datetime_parsing": "日付（2031-05-12 の形）ではありません",
    "date_type": "日付（2031-05-12 の形）ではありません",
    "literal_error": "次のどれかにしてください: {expected}",
    "list_type": "一覧（リスト）で書いてください",
    "model_type": "項目のまとまりで書いてください",
    "dict_type": "項目のまとまりで書いてください",
}

# The register's own rules (schema.py's validators), by the start of what they say.
_JA_RULES: tuple[tuple[str, str], ...] = (
    ("consent given on", "同意の日付がまだ来ていない日です"),
    ("consent withdrawn on", "撤回の日付がまだ来ていない日です"),
    ("withdrawn_at comes before", "撤回の日が同意の日より前です"),
    ("born on", "生年月日がまだ来ていない日です"),
    ("one consent record per purpose", "同意の記録は目的ごとに一つです"),
    ("tags given twice", "同じタグが二度あります"),
    ("contacts given twice", "同じ連絡先が二度あります"),
    ("gateways given twice", "同じゲートウェイが二度あります"),
    ("named twice", "同じものが二度あります"),
    ("home and radius_m go together", "自宅の位置と半径は組で書いてください"),
    ("give gateways, home", "見守り点、自宅と半径、時間帯のどれかを書いてください"),
    ("steps must come in rising", "段階は after_min の小さい順に書いてください"),
    ("a family watches over", "家族が見守る人か世帯を書いてください"),
    ("not a channel URL", "通知先の URL（mailto:// など）ではありません"),
    ("a masked channel", "伏せ字の通知先です: 変えないときは通知先を送らないでください"),
    ("unknown time zone", "知らないタイムゾーンです（例: Asia/Tokyo）"),
    # a check-in's schedule (a LINE check-in at the desk; edge/config.py)
    ("use either 'days' or 'every_n_days'", "曜日か「○日ごと」のどちらかにしてください"),
    ("'every_n_days' needs 'start'", "「○日ごと」には最初の日が必要です"),
    ("'start' goes with 'every_n_days'", "最初の日は「○日ごと」のときだけ書きます"),
    ("ladder steps must rise", "段階は時間とレベルの小さい順に書いてください"),
)


def _ja(error: Any) -> str:
    kind, message = str(error["type"]), str(error["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        for start, ja in _JA_RULES:
            if message.startswith(start):
                return ja
        if "is not a tag id" in message or "changes every rotation period" in message:
            return "タグの ID として使えません（docs/protocol.md）"
        return f"正しくありません（{message}）"
    template = _JA.get(kind)
    if template is None:
        return f"正しくありません（{message}）"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    """One problem per field pydantic found wrong, the field named by its path
    (``consents.0.at``; empty: the entry as a whole)."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        en = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            en = "unknown field"
        elif error["type"] == "missing":
            en = "required"
        problems.append(FieldProblem(where, _ja(error), en))
    return list(dict.fromkeys(problems))
