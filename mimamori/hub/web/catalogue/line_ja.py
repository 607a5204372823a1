"""LINE's pages (issue 17), 日本語; merged into the pages' catalogue by ``i18n.py``.
Same keys as ``line_en.py``."""

TEXT: dict[str, str] = {
    # a check-in's answer link (no sign-in), for a prompt that went by mail or SMS
    "ci_title": "元気ですか？",
    "ci_ask": "見守りの確認です。あてはまるボタンを押してください。",
    "ci_genki": "元気だよ",
    "ci_soudan": "相談したい",
    "ci_outcome_thanks": "ありがとうございます。「元気だよ」を受け付けました。",
    "ci_outcome_consult": "「相談したい」を受け付けました。担当の方からご連絡します。",
    "ci_outcome_already": "この日の確認は、もう受け付けています。ありがとうございます。",
    "ci_outcome_expired": "この確認は古くなっています。新しいお知らせにお答えください。",
    "ci_link_invalid_title": "このリンクは使えません",
    "ci_link_invalid": (
        "リンクが正しくありません。お困りのときは、地域包括支援センターにお電話ください。"
    ),
    "ci_link_expired_title": "このリンクは期限切れです",
    "ci_link_expired": "このリンクの有効期限が切れています。新しいお知らせにお答えください。",
    # a person's check-in by LINE at the desk
    "lc_title": "LINE での安否確認（元気ですか？）",
    "lc_note": (
        "ボタンのない方に、ご本人の LINE で「元気ですか？」と聞きます。ご本人の連絡先"
        "（続柄: 本人）を LINE に登録し、お宅に住んでいることが必要です。"
    ),
    "lc_on": "LINE で確認する",
    "lc_by": "時刻",
    "lc_kind": "頻度",
    "lc_kind_daily": "毎日",
    "lc_kind_every": "○日ごと",
    "lc_kind_weekly": "毎週（曜日を選ぶ）",
    "lc_every_n_days": "何日ごと",
    "lc_start": "最初の日",
    "lc_days": "曜日:",
    "lc_day_mon": "月",
    "lc_day_tue": "火",
    "lc_day_wed": "水",
    "lc_day_thu": "木",
    "lc_day_fri": "金",
    "lc_day_sat": "土",
    "lc_day_sun": "日",
    "lc_grace": "猶予（分）",
    "lc_save": "LINE での確認を保存する",
}
