"""Found-person stickers' pages (issue 18), 日本語; merged into the pages' catalogue by
``i18n.py``. Same keys as ``found_en.py``. The finder's page shows English beneath
the Japanese in each text: a finder may not read Japanese."""

TEXT: dict[str, str] = {
    # the finder's page
    "found_title": "保護のお願い / Please help",
    "found_now": "この方は道に迷っているかもしれません。 / This person may be lost.",
    "found_step_stay": "そばにいてください。 / Please stay with them.",
    "found_step_119": "けがや具合が悪そうなら 119 へ。 / If hurt or unwell, call 119.",
    "found_step_110": "危ないときや困ったときは 110 へ。 / If in danger, call 110.",
    "found_position": "いまの場所を伝える（任意） / Share where you are (optional)",
    "found_position_asking": "位置を確認しています… / Finding your position…",
    "found_position_got": "位置を伝えます / Your position will be sent",
    "found_position_failed": "位置はわかりませんでした（なくても大丈夫です） / "
    "No position (that is fine)",
    "found_message": "ひとこと（任意）：いる場所や様子 / A short message (optional)",
    "found_protect": "保護しています / I am with them",
    "found_privacy": (
        "あなたの名前や電話番号はご家族に伝わりません。 / "
        "Your name and number are not shared with the family."
    ),
    "found_invalid": (
        "このステッカーは今は使われていません。110 に電話してください。 / "
        "This sticker is no longer valid. Please call 110."
    ),
    "found_busy": (
        "しばらく待ってからもう一度お試しください。急ぐときは 110 へ。 / "
        "Please try again in a minute. If urgent, call 110."
    ),
    "found_told": (
        "ご家族に知らせました。返事がここに出ます。そばにいてください。 / "
        "The family has been told. Their answer appears here. Please stay."
    ),
    "found_closed": (
        "ご家族が無事を確認しました。ご協力ありがとうございました。 / "
        "The family confirmed they are safe. Thank you for your help."
    ),
    "found_family_phone": "ご家族の電話番号 / The family's number:",
    "found_thread": "やりとり / Messages",
    "found_side_finder": "保護している方 / Finder:",
    "found_side_family": "ご家族 / Family:",
    "found_say": "ご家族へのひとこと / A message to the family",
    "found_send": "送る / Send",
    "found_refresh": "更新 / Refresh",
    # the family's page
    "found_family_title": "{name}さんが保護されています",
    "found_family_intro": "{at}、{name}さんのQRステッカーを読んだ方が一緒にいます。",
    "found_family_position": "発見者が知らせた位置:",
    "found_family_closed": "無事を確認しました。やりとりは終わりました。",
    "found_answer": "発見者への返事",
    "found_answer_hint": "すぐ向かいます、〇〇にいてください",
    "found_reveal": "自分の電話番号を発見者に見せる",
    "found_reveal_note": "見せるまで、番号は発見者に伝わりません。",
    "found_shown": "発見者に番号 {phone} を見せています。",
    "found_hide": "番号を隠す",
    "found_mark_safe": "無事を確認しました",
    "found_link_title": "このリンクは使えません",
    "found_link_invalid": "このリンクは正しくありません。",
    "found_link_expired": (
        "このリンクの期限が切れました。地域包括支援センターにお問い合わせください。"
    ),
    # the desk
    "found_stickers": "QRステッカー",
    "found_stickers_of": "{name}さんのQRステッカー",
    "found_stickers_note": (
        "新しいシートを発行すると、前のシートは使えなくなります。印刷はその場で一度だけです。"
    ),
    "found_issue": "新しいシートを発行して印刷する",
    "found_revoke": "すべてのシートを無効にする",
    "found_issued": "発行",
    "found_scans": "読み取り回数",
    "found_sheet_state": "状態",
    "found_sheet_valid": "有効",
    "found_sheet_revoked": "無効",
    "found_reports": "発見者からの連絡",
    "found_state_open": "対応中",
    "found_state_safe": "無事を確認",
    "found_sheet_title": "QRステッカー（印刷用）",
    "found_sheet_print": (
        "このページを A4 で印刷してください。このページを閉じると、もう印刷できません。"
    ),
    "found_sticker_words": "お困りの様子ならスマホで読み取ってください / Scan if I seem lost",
}
