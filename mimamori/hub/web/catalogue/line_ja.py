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
}
