"""The words of a notification, Japanese first (English for recipients who chose it)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..config import HouseholdEntry
from ..store.alerts import Alert
from .rules import AlertKind

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
}
_LEVEL = {"ja": "段階", "en": "level"}
_SINCE = {"ja": "発生", "en": "since"}
_OPEN = {"ja": "詳しくはこちら", "en": "Details"}
_REPEAT = {"ja": "【再通知】", "en": "[Reminder] "}
_ACK = {"ja": "対応します（ワンタップで通知を止める）", "en": "I'm on it (stops the notices)"}


def what_of(alert: Alert, lang: str) -> str:
    """What happened, in words, with the ladder level when there is one."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = _WHAT.get(alert.kind, {"ja": alert.kind, "en": alert.kind})[lang]
    level = alert.detail.get("level")
    if level is not None:
        what += f"（{_LEVEL[lang]} {level}）" if lang == "ja" else f" ({_LEVEL[lang]} {level})"
    return what


def render(  # noqa: PLR0917
    alert: Alert,
    home: HouseholdEntry | None,
    lang: str,
    public_url: str,
    repeat: bool,
    ack_token: str | None = None,
) -> tuple[str, str]:
    """(title, body) of one notification about ``alert``."""
    lang = lang if lang in ("ja", "en") else "ja"
    what = what_of(alert, lang)
    name = home.name if home else (alert.household_id or alert.subject)
    zone = ZoneInfo(home.timezone if home else "Asia/Tokyo")
    since = alert.opened_at.astimezone(zone)
    when = f"{since.month}月{since.day}日 {since:%H:%M}" if lang == "ja" else f"{since:%d %b %H:%M}"
    title = f"{_REPEAT[lang] if repeat else ''}みまもり: {name} — {what}"
    link = f"{public_url.rstrip('/')}/households/{alert.household_id}" if alert.household_id else ""
    lines = [name, what, f"{_SINCE[lang]}: {when}"]
    if ack_token:
        lines.append(f"{_ACK[lang]}: {public_url.rstrip('/')}/ack?token={ack_token}")
    if link:
        lines.append(f"{_OPEN[lang]}: {link}")
    return title, "\n".join(lines)
