"""The words of a notification, Japanese first (English for recipients who chose it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mimamori.hub.model.alerts import Alert, AlertKind
from mimamori.hub.register.schema import HouseholdEntry

_WHAT: dict[str, dict[str, str]] = {
    AlertKind.MISSED: {"ja": "見守りの連絡が途絶えています", "en": "A check-in was missed"},
    AlertKind.SOS: {"ja": "SOS ボタンが押されました", "en": "The SOS button was pressed"},
    AlertKind.CONSULT: {"ja": "「相談したい」が押されました", "en": "'Please call me' was pressed"},
    AlertKind.DEVICE_SILENT: {"ja": "見守りボタンの応答がありません", "en": "The button is silent"},
    AlertKind.BATTERY_LOW: {
        "ja": "見守りボタンの電池が残りわずかです",
        "en": "The button's battery is low",
    },
    AlertKind.MAINS_LOST: {
        "ja": "見守りボタンの電源が切れています",
        "en": "The button lost mains power",
    },
    AlertKind.HOME_OFFLINE: {
        "ja": "ご自宅のゲートウェイと通信できません（停電の可能性）",
        "en": "The home gateway is offline (possibly a power cut)",
    },
    AlertKind.OUTSIDE_AREA: {
        "ja": "いつもの範囲の外で確認されました",
        "en": "Seen outside the usual area",
    },
    AlertKind.UNUSUAL_HOUR: {
        "ja": "いつもと違う時間に外出しています",
        "en": "Out at an unusual hour",
    },
    AlertKind.GATEWAY_CLOCK: {
        "ja": "ゲートウェイの時計がずれています（技術担当へ）",
        "en": "A gateway's clock is wrong (for the technician)",
    },
    AlertKind.WATCHPOINT_OFFLINE: {
        "ja": "見守りポイントの受信機と通信できません（技術担当へ）",
        "en": "A watch point is offline (for the technician)",
    },
    AlertKind.RECEIVER_DEAF: {
        "ja": "見守りポイントの受信機が電波を受信していません（技術担当へ）",
        "en": "A watch point's receiver hears nothing (for the technician)",
    },
    AlertKind.OUTBOX_GROWING: {
        "ja": "見守りポイントの未送信データがたまっています（技術担当へ）",
        "en": "A watch point's unsent events are piling up (for the technician)",
    },
    AlertKind.CASE_REPORT: {
        "ja": "時間外に地域包括支援センターへのお知らせがありました",
        "en": "A report to the care centre arrived out of hours",
    },
    AlertKind.GATEWAY_RESTARTS: {
        "ja": "見守りポイントが再起動を繰り返しています（技術担当へ）",
        "en": "A watch point keeps restarting (for the technician)",
    },
    AlertKind.DISK_LOW: {
        "ja": "ゲートウェイの記憶領域（SD カード）の空きが少なくなっています（技術担当へ）",
        "en": "A gateway's disk is nearly full (for the technician)",
    },
}
_LEVEL = {"ja": "段階", "en": "level"}
_SINCE = {"ja": "発生", "en": "since"}
_OPEN = {"ja": "詳しくはこちら", "en": "Details"}
_REPEAT = {"ja": "【再通知】", "en": "[Reminder] "}
_ACK = {
    "ja": "応答する（対応します・行けない・解決しました）",
    "en": "Answer (I'm on it / can't go / resolved)",
}
# What a step asks of its people, beyond knowing (register/schema.py StepAction).
_ASK = {
    "call": {
        "ja": "お願い: ご本人に電話し、結果をリンク先で記録してください",
        "en": "Please phone the person and record the result at the link",
    },
    "visit": {
        "ja": "お願い: ご自宅を訪問し、様子を確認してください",
        "en": "Please visit the home and see how they are",
    },
}


def kind_words(kind: str, lang: str) -> str:
    """An alert kind in words (its own name when it has none)."""
    return _WHAT.get(kind, {}).get(lang if lang in ("ja", "en") else "ja", kind)


def what_of(alert: Alert, lang: str) -> str:
    """What happened, in words, with the ladder level when there is one."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = _WHAT.get(alert.kind, {"ja": alert.kind, "en": alert.kind})[lang]
    level = alert.detail.get("level")
    if level is not None:
        what += f"（{_LEVEL[lang]} {level}）" if lang == "ja" else f" ({_LEVEL[lang]} {level})"
    place = alert.detail.get("gateway_name")
    if place:
        what += f"（{place}）" if lang == "ja" else f" ({place})"
    return what


def render(  # noqa: PLR0917
    alert: Alert,
    home: HouseholdEntry | None,
    lang: str,
    public_url: str,
    repeat: bool,
    ack_token: str | None = None,
    action: str = "notify",
) -> tuple[str, str]:
    """(title, body) of one notification about ``alert``."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = what_of(alert, lang)
    name = alert.detail.get("person_name") or (home.name if home else None)
    name = name or alert.household_id or alert.subject
    zone = ZoneInfo(home.timezone if home else "Asia/Tokyo")
    since = alert.opened_at.astimezone(zone)
    when = f"{since.month}月{since.day}日 {since:%H:%M}" if lang == "ja" else f"{since:%d %b %H:%M}"
    title = f"{_REPEAT[lang] if repeat else ''}みまもり: {name} — {what}"
    base = public_url.rstrip("/")
    if alert.detail.get("case_url"):  # a partner's report (issue 16): the case's page
        link = str(alert.detail["case_url"])
    elif alert.person_id:
        link = f"{base}/map?person={alert.person_id}"
    else:
        link = f"{base}/households/{alert.household_id}" if alert.household_id else ""
    lines = [name, what, f"{_SINCE[lang]}: {when}"]
    if action in _ASK:
        lines.append(_ASK[action][lang])
    if ack_token:
        lines.append(f"{_ACK[lang]}: {public_url.rstrip('/')}/ack?token={ack_token}")
    if link:
        lines.append(f"{_OPEN[lang]}: {link}")
    return title, "\n".join(lines)


def plain(alert: Alert, lang: str, public_url: str, ack_token: str | None) -> tuple[str, str]:
    """The least a notification can say, for when ``render`` failed on an odd alert:
    nobody goes untold because a detail could not be put into words."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = _WHAT.get(alert.kind, {"ja": alert.kind, "en": alert.kind})[lang]
    title = f"みまもり: {what}"
    lines = [what, f"#{alert.id}"]
    if ack_token:
        lines.append(f"{_ACK[lang]}: {public_url.rstrip('/')}/ack?token={ack_token}")
    return title, "\n".join(lines)


def _local(at: datetime, lang: str) -> str:
    local = at.astimezone(ZoneInfo("Asia/Tokyo"))
    return f"{local.month}月{local.day}日 {local:%H:%M}" if lang == "ja" else f"{local:%d %b %H:%M}"


_SIGHTING = {"ja": "捜索中の方が確認されました", "en": "Seen during the search"}
_MAP = {"ja": "地図で見る", "en": "See the map"}
_OUTING = {
    "out": {"ja": "外出しました", "en": "went out"},
    "home": {"ja": "帰宅しました", "en": "came home"},
}


def render_sighting(
    person: str, gateway: str, at: datetime, lang: str, link: str
) -> tuple[str, str]:
    """(title, body) of a new sighting for the people searching."""
    lang = lang if lang in ("ja", "en") else "ja"
    title = f"みまもり 捜索: {person} — {gateway}"
    body = "\n".join(
        [_SIGHTING[lang], f"{person}: {gateway}", _local(at, lang), f"{_MAP[lang]}: {link}"]
    )
    return title, body


def render_outing(
    person: str, gateway: str, way: str, at: datetime, *, lang: str, link: str
) -> tuple[str, str]:
    """(title, body) of an opted-in "went out" / "came home" notice."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = _OUTING[way][lang]
    title = f"みまもり: {person} — {what}"
    body = "\n".join([f"{person} {what}", f"{gateway} {_local(at, lang)}", f"{_MAP[lang]}: {link}"])
    return title, body


_SEARCH_UPDATE = {
    "active": {
        "ja": (
            "{person}さんの捜索が始まりました",
            "{at}に始まりました。見かけた場所は捜索のページに出ます",
        ),
        "en": ("The search for {person} has started", "Started {at}. Sightings appear on its page"),
    },
    "found": {
        "ja": (
            "{person}さんが見つかりました",
            "{at}、{person}さんが見つかりました。捜索は終わりました",
        ),
        "en": ("{person} has been found", "{person} was found ({at}). The search has ended"),
    },
    "cancelled": {
        "ja": ("{person}さんの捜索は取りやめになりました", "{at}に取りやめになりました"),
        "en": ("The search for {person} was called off", "Called off {at}"),
    },
    "expired": {
        "ja": (
            "{person}さんの捜索は期限で終わりました",
            "{at}に期限が来て終わりました。まだ見つかっていなければ、もう一度始めてください",
        ),
        "en": (
            "The search for {person} ran out",
            "It ran out {at}. If they are still missing, start it again",
        ),
    },
}
_SEARCH_PAGE = {"ja": "捜索のページ", "en": "The search's page"}


def render_search_update(
    person: str, state: str, at: datetime, lang: str, link: str
) -> tuple[str, str]:
    """(title, body) of a search's start or end (found, called off, ran out) for the
    people searching."""
    lang = lang if lang in ("ja", "en") else "ja"
    title, said = _SEARCH_UPDATE[state][lang]
    words = {"person": person, "at": _local(at, lang)}
    title = f"みまもり: {title.format(**words)}"
    return title, "\n".join([said.format(**words), f"{_SEARCH_PAGE[lang]}: {link}"])
