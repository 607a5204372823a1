"""The SOS network's pages (issue 18, part 2), 日本語; merged into the pages'
catalogue by ``i18n.py``. Same keys as ``sos_en.py``."""

TEXT: dict[str, str] = {
    # the partner's bulletin page
    "sos_title": "捜索のお願い",
    "sos_looking_for": "探しています:",
    "sos_photo": "探している方の写真",
    "sos_clothing": "今日の服装",
    "sos_description": "特徴",
    "sos_last_seen": "最後に確認された場所と時刻",
    "sos_last_unknown": "わかっていません",
    "sos_danger": "危ないとき、けがをしているときは 110 へ。",
    "sos_position": "いまの場所を伝える（任意）",
    "sos_note": "ひとこと（任意）：どこで、どちらへ",
    "sos_saw": "見かけた",
    "sos_privacy": "あなたの名前や電話番号は伝わりません。伝えるのは位置とひとことだけです。",
    "sos_thanks": "ありがとうございます。ご家族と地域包括支援センターに伝えました。",
    "sos_found": "見つかりました。ご協力ありがとうございました。",
    "sos_ended": "捜索は終わりました。ご協力ありがとうございました。",
    "sos_invalid": "このページは今は使われていません。",
    # the search page: the family's consent and the bulletins sent
    "sos_sharing": "協力事業者への捜索依頼（SOS ネットワーク）",
    "sos_not_shared": "ご家族の同意がないため、依頼は出していません。",
    "sos_agreed_by": "同意したご家族（続柄と名前）",
    "sos_shown_as": "依頼での呼び方（名前は出しません。例: 80代の女性）",
    "sos_clothing_in": "今日の服装（任意）",
    "sos_give": "同意を記録して依頼を出す",
    "sos_consent_failed": "記録できませんでした。入力を確かめてください。",
    "sos_given": "同意",
    "sos_sent_to": "依頼を出した先",
    "sos_views": "閲覧",
    "sos_seen_count": "見かけた",
    "sos_withdrawn": "取り下げ済み",
    # the desk's partner page: a link's bulletins
    "partner_link_bulletins": "捜索依頼を受け取る",
    "partner_link_bulletins_on": "受け取る",
    "partner_link_bulletins_off": "受け取らない",
    # the desk's view of a finder's thread (found_desk.py)
    "found_desk_thread": "{name}さんの発見者とのやりとり",
    "found_desk_no_messages": "メッセージはありません（無事の確認から日数がたち、消えた場合も）。",
    "found_desk_read_only": (
        "読むだけの画面です。センターからの返事は、センターに届いた知らせのリンクから書けます。"
    ),
    # the partner's own report page
    "report_bulletins_on": "行方不明の方の捜索依頼を、このリンクの連絡先で受け取っています。",
    "report_bulletins_off": (
        "行方不明の方の捜索依頼を受け取りますか（地域で捜索があるときだけ届きます）。"
    ),
}
