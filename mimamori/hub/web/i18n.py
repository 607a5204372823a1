"""Every user-facing string of the pages, Japanese first, English available."""

from __future__ import annotations

from typing import Literal

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")

STRINGS: dict[str, dict[Lang, str]] = {
    "app": {"ja": "みまもり", "en": "mimamori"},
    "map_title": {"ja": "みまもりマップ", "en": "Watch-over map"},
    "person": {"ja": "見守る方", "en": "Person"},
    "last_seen": {"ja": "最後に確認された場所", "en": "Last seen"},
    "never_seen": {"ja": "まだ確認されていません", "en": "Not seen yet"},
    "state_here": {"ja": "この付近にいます", "en": "Nearby now"},
    "state_left": {"ja": "この場所を離れました", "en": "Has left this place"},
    "kind_tag.arrived": {"ja": "到着", "en": "Arrived"},
    "kind_tag.seen": {"ja": "確認", "en": "Seen"},
    "kind_tag.left": {"ja": "離れた", "en": "Left"},
    "trail": {"ja": "この24時間の足どり", "en": "The last 24 hours"},
    "trail_empty": {"ja": "この24時間の記録はありません", "en": "Nothing in the last 24 hours"},
    "gateways": {"ja": "見守りポイント", "en": "Watch points"},
    "online": {"ja": "稼働中", "en": "Online"},
    "offline": {"ja": "停止中", "en": "Offline"},
    "unknown": {"ja": "状態不明", "en": "No report yet"},
    "live_on": {"ja": "自動更新中", "en": "Live"},
    "live_off": {"ja": "再接続中…", "en": "Reconnecting…"},
    "switch_lang": {"ja": "English", "en": "日本語"},
    "sign_out": {"ja": "サインアウト", "en": "Sign out"},
    "signin_required_title": {"ja": "サインインが必要です", "en": "Please sign in"},
    "signin_required": {
        "ja": "ご家族あてに届いたサインイン用のリンクを開いてください。",
        "en": "Please open the sign-in link that was sent to your family.",
    },
    "signin_used_title": {"ja": "このリンクは使用済みです", "en": "This link was already used"},
    "signin_used": {
        "ja": "サインイン用のリンクは一度しか使えません。"
        "新しいリンクを担当者にお申し付けください。",
        "en": "A sign-in link works only once. Please ask your contact for a new one.",
    },
    "signin_expired_title": {"ja": "リンクの有効期限が切れています", "en": "This link has expired"},
    "signin_expired": {
        "ja": "新しいサインイン用のリンクを担当者にお申し付けください。",
        "en": "Please ask your contact for a new sign-in link.",
    },
    "signin_unknown_title": {"ja": "リンクが正しくありません", "en": "This link is not valid"},
    "signin_unknown": {
        "ja": "リンクが途中で切れていないか、もう一度お確かめください。",
        "en": "Please check that the whole link was opened.",
    },
    "signed_out_title": {"ja": "サインアウトしました", "en": "Signed out"},
    "signed_out": {
        "ja": "またご覧になるときは、サインイン用のリンクを開いてください。",
        "en": "To look again, open a sign-in link.",
    },
    "sign_out_confirm": {
        "ja": "この端末でのサインインを終わります。",
        "en": "This ends your sign-in on this device.",
    },
    "refused_title": {"ja": "受け付けられませんでした", "en": "Not accepted"},
    "refused": {
        "ja": "この操作は、みまもりのページから行ってください。"
        "ページを開き直して、もう一度お試しください。",
        "en": "Please do this from the mimamori pages themselves: "
        "open the page again and try once more.",
    },
    "no_people": {"ja": "表示できる方がいません", "en": "There is nobody to show"},
    # households
    "households_title": {"ja": "見守り中のお宅", "en": "Households"},
    "household_title": {"ja": "お宅の様子", "en": "Household"},
    "no_households": {"ja": "表示できるお宅がありません", "en": "There is no household to show"},
    "to_households": {"ja": "お宅の一覧", "en": "Households"},
    "to_map": {"ja": "地図", "en": "Map"},
    "hh_state_ok": {"ja": "元気です", "en": "Checked in"},
    "hh_state_due": {"ja": "まだ連絡がありません", "en": "Check-in due"},
    "hh_state_missed": {"ja": "連絡が途絶えています", "en": "Check-in missed"},
    "hh_state_unknown": {"ja": "まだ情報がありません", "en": "No information yet"},
    "level": {"ja": "段階", "en": "Level"},
    "state": {"ja": "状態", "en": "State"},
    "household_unknown_title": {"ja": "お宅が見つかりません", "en": "Household not found"},
    "household_unknown": {
        "ja": "このお宅は表示できません。リンクをお確かめください。",
        "en": "This household cannot be shown. Please check the link.",
    },
    "last_checkin": {"ja": "最後の連絡", "en": "Last check-in"},
    "next_due": {"ja": "次の連絡予定", "en": "Next check-in due"},
    "none_yet": {"ja": "まだありません", "en": "None yet"},
    "late": {"ja": "遅れて", "en": "late"},
    "card_genki": {"ja": "元気だよ", "en": "I'm fine"},
    "card_soudan": {"ja": "相談したい", "en": "Please call me"},
    "card_sos": {"ja": "SOS", "en": "SOS"},
    "devices": {"ja": "機器", "en": "Devices"},
    "battery": {"ja": "電池", "en": "Battery"},
    "device_ok": {"ja": "正常", "en": "OK"},
    "device_silent": {"ja": "応答なし", "en": "Silent"},
    "device_battery_low": {"ja": "電池残量わずか", "en": "Battery low"},
    "device_mains_lost": {"ja": "電源が切れています", "en": "Mains power lost"},
    "home_gateway": {"ja": "自宅ゲートウェイ", "en": "Home gateway"},
    "calendar": {"ja": "この30日間", "en": "The last 30 days"},
    "day_ok": {"ja": "連絡あり", "en": "Checked in"},
    "day_missed": {"ja": "連絡なし（通知済み）", "en": "Missed (others told)"},
    "day_reminded": {"ja": "連絡なし（本人に通知）", "en": "Missed (reminded)"},
    "day_none": {"ja": "記録なし", "en": "Nothing recorded"},
    "day_problem": {"ja": "機器の異常", "en": "Device problem"},
    "problem_device.silent": {"ja": "ボタン応答なし", "en": "Button silent"},
    "problem_device.back": {"ja": "ボタン復旧", "en": "Button back"},
    "problem_device.battery_low": {"ja": "電池残量わずか", "en": "Battery low"},
    "problem_device.mains_lost": {"ja": "停電", "en": "Power cut"},
    "problem_device.mains_back": {"ja": "電源復旧", "en": "Power back"},
    "problem_gateway.offline": {"ja": "ゲートウェイ停止", "en": "Gateway offline"},
    "weekdays": {"ja": "月火水木金土日", "en": "MTWTFSS"},
    # the staff dashboard
    "dash_title": {"ja": "見守りダッシュボード", "en": "Watch-over dashboard"},
    "dash_searches": {"ja": "捜索中", "en": "Searches in progress"},
    "dash_no_searches": {"ja": "捜索中の方はいません", "en": "Nobody is being searched for"},
    "dash_alerts": {"ja": "対応が必要なお知らせ", "en": "Open alerts"},
    "dash_no_alerts": {"ja": "対応が必要なお知らせはありません", "en": "No open alerts"},
    "dash_note": {"ja": "メモ（任意）", "en": "Note (optional)"},
    "dash_ack": {"ja": "対応する", "en": "Acknowledge"},
    "dash_resolve": {"ja": "解決済みにする", "en": "Resolve"},
    "dash_failures": {"ja": "届かなかった通知", "en": "Failed notifications"},
    "dash_no_failures": {"ja": "届かなかった通知はありません", "en": "No failed notifications"},
    "alert_open": {"ja": "未対応", "en": "Open"},
    "alert_acknowledged": {"ja": "対応中", "en": "Acknowledged"},
    "sev_critical": {"ja": "緊急", "en": "Critical"},
    "sev_warning": {"ja": "注意", "en": "Warning"},
    "sev_info": {"ja": "お知らせ", "en": "Info"},
    # password sign-in
    "login_title": {"ja": "サインイン", "en": "Sign in"},
    "login_id": {"ja": "ID", "en": "ID"},
    "login_password": {"ja": "パスワード", "en": "Password"},
    "login_button": {"ja": "サインイン", "en": "Sign in"},
    "login_wrong": {
        "ja": "IDまたはパスワードが違います。",
        "en": "The ID or the password is not right.",
    },
    "login_locked": {
        "ja": "サインインの失敗が続いたため、しばらく受け付けを止めています。"
        "{minutes}分ほどたってから、もう一度お試しください。",
        "en": "Too many failed sign-ins, so sign-in is paused for now. "
        "Please try again in about {minutes} min.",
    },
    "login_busy": {
        "ja": "ただいま混み合っています。少し待ってから、もう一度お試しください。",
        "en": "The hub is busy right now. Please try again in a moment.",
    },
    # one-tap acknowledge links
    "ack_title": {"ja": "見守りのお知らせ", "en": "Watch-over alert"},
    "ack_button": {
        "ja": "対応します（ほかの方への通知を止める）",
        "en": "I'm on it (stop the notices)",
    },
    "ack_already": {
        "ja": "このお知らせは、すでにどなたかが対応しています。",
        "en": "Someone is already on it.",
    },
    "ack_by_link": {"ja": "通知のリンクから", "en": "from the notification link"},
    "ack_done_title": {"ja": "受け付けました", "en": "Thank you"},
    "ack_done": {
        "ja": "対応を受け付けました。ほかの方への通知を止めました。",
        "en": "Noted: the other people will not be notified again.",
    },
    "ack_invalid_title": {"ja": "リンクが正しくありません", "en": "This link is not valid"},
    "ack_invalid": {
        "ja": "リンクが途中で切れていないか、もう一度お確かめください。",
        "en": "Please check that the whole link was opened.",
    },
    "ack_expired_title": {"ja": "リンクの有効期限が切れています", "en": "This link has expired"},
    "ack_expired": {
        "ja": "このリンクは使えなくなりました。担当者にお問い合わせください。",
        "en": "This link can no longer be used. Please contact the care center.",
    },
    # searches
    "search_start": {"ja": "捜索を始める", "en": "Start a search"},
    "search_start_confirm": {
        "ja": "捜索を始めます。すべての見守りポイントが、"
        "この方のタグをすぐに知らせるようになります。",
        "en": "Start a search? Every watch point will report this person's tag at once.",
    },
    "search_open": {"ja": "捜索中のページへ", "en": "Open the search"},
    "search_title": {"ja": "捜索", "en": "Search"},
    "search_state_active": {"ja": "捜索中", "en": "Searching"},
    "search_state_found": {"ja": "見つかりました", "en": "Found"},
    "search_state_cancelled": {"ja": "中止しました", "en": "Cancelled"},
    "search_state_expired": {"ja": "期限切れで終了", "en": "Ran out"},
    "search_started": {"ja": "開始", "en": "Started"},
    "search_until": {"ja": "終了予定", "en": "Ends"},
    "search_ended": {"ja": "終了", "en": "Ended"},
    "search_sightings": {"ja": "捜索開始からの確認場所", "en": "Seen since the search began"},
    "search_no_sightings": {
        "ja": "捜索開始後の確認はまだありません",
        "en": "Not seen since the search began",
    },
    "search_last_before": {
        "ja": "捜索前に最後に確認された場所",
        "en": "Last seen before the search",
    },
    "search_direction": {"ja": "進んでいる方向", "en": "Heading"},
    "search_people": {"ja": "捜索している人", "en": "Searching"},
    "search_found": {"ja": "見つかった", "en": "Found"},
    "search_cancel": {"ja": "捜索を中止", "en": "Cancel the search"},
    "search_join": {"ja": "捜索に加わる", "en": "Join the search"},
    "search_shares": {
        "ja": "共有リンク（警察・協力者向け）",
        "en": "Shared links (police, volunteers)",
    },
    "search_share_label": {"ja": "共有先（例: 宜野湾署）", "en": "For (e.g. the police station)"},
    "search_share_hours": {"ja": "有効時間", "en": "Valid for (hours)"},
    "search_share_make": {"ja": "リンクを作る", "en": "Make a link"},
    "search_share_made": {
        "ja": "このリンクは今しか表示されません。相手にお伝えください:",
        "en": "This link is shown only now. Pass it on:",
    },
    "search_share_revoke": {"ja": "無効にする", "en": "Revoke"},
    "search_share_views": {"ja": "閲覧", "en": "views"},
    "share_state_active": {"ja": "有効", "en": "Valid"},
    "share_state_ended": {"ja": "捜索終了", "en": "Search ended"},
    "share_state_expired": {"ja": "期限切れ", "en": "Expired"},
    "share_state_revoked": {"ja": "無効", "en": "Revoked"},
    "compass_N": {"ja": "北", "en": "north"},
    "compass_NE": {"ja": "北東", "en": "north-east"},
    "compass_E": {"ja": "東", "en": "east"},
    "compass_SE": {"ja": "南東", "en": "south-east"},
    "compass_S": {"ja": "南", "en": "south"},
    "compass_SW": {"ja": "南西", "en": "south-west"},
    "compass_W": {"ja": "西", "en": "west"},
    "compass_NW": {"ja": "北西", "en": "north-west"},
    "search_unknown_title": {"ja": "捜索が見つかりません", "en": "Search not found"},
    "search_unknown": {
        "ja": "この捜索は表示できません。リンクをお確かめください。",
        "en": "This search cannot be shown. Please check the link.",
    },
    "share_unknown_title": {"ja": "リンクが正しくありません", "en": "This link is not valid"},
    "share_unknown": {
        "ja": "リンクが途中で切れていないか、もう一度お確かめください。",
        "en": "Please check that the whole link was opened.",
    },
    "share_expired_title": {"ja": "リンクの有効期限が切れています", "en": "This link has expired"},
    "share_expired": {
        "ja": "この共有リンクは使えなくなりました。"
        "必要なら、捜索しているご家族か担当者に新しいリンクをお求めください。",
        "en": "This shared link can no longer be used. "
        "Ask the family or the care center for a new one if needed.",
    },
    "share_ended_title": {"ja": "この捜索は終了しました", "en": "This search has ended"},
    "share_ended": {
        "ja": "捜索が終了したため、この共有リンクでは表示できません。"
        "ご協力ありがとうございました。",
        "en": "The search has ended, so this shared link shows nothing more. "
        "Thank you for your help.",
    },
    "share_revoked_title": {"ja": "このリンクは無効にされました", "en": "This link was revoked"},
    "share_revoked": {
        "ja": "この共有リンクは、作成した方によって無効にされました。",
        "en": "The person who made this shared link has revoked it.",
    },
}


def pick_lang(requested: str | None, cookie: str | None, default: Lang) -> Lang:
    for candidate in (requested, cookie):
        for lang in LANGS:
            if candidate == lang:
                return lang
    return default


def strings(lang: Lang) -> dict[str, str]:
    return {key: texts[lang] for key, texts in STRINGS.items()}


def t(key: str, lang: Lang) -> str:
    return STRINGS[key][lang]
