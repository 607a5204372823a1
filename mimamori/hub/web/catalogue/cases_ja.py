"""The partners' report pages and the desk's partner and case pages (issue 16), 日本語;
merged into the pages' catalogue by ``i18n.py``. Same keys as ``cases_en.py``."""

TEXT: dict[str, str] = {
    # the partner's report form (phone first)
    "report_title": "気づいたことのお知らせ",
    "report_emergency": "命に関わるときは、今すぐ電話してください",
    "report_call_119": "119（救急・火事）",
    "report_call_110": "110（警察）",
    "report_from": "{partner}・{label}",
    "report_noticed": "気づいたこと",
    "noticed_mail_piling": "新聞・郵便がたまっている",
    "noticed_no_light": "夜に電気がつかない",
    "noticed_shutters": "雨戸が閉まったまま",
    "noticed_meter_still": "メーターが動いていない",
    "noticed_not_seen": "最近見かけない",
    "noticed_lost": "道に迷っている様子",
    "noticed_unusual": "様子がいつもと違う",
    "noticed_other": "その他",
    "report_note": "ひとこと（なくてもかまいません）",
    "report_where": "場所",
    "report_household": "お宅を選ぶ",
    "report_household_none": "（一覧にないとき：下に住所を書く）",
    "report_address": "住所・目印",
    "report_pin": "今いる場所を付ける",
    "report_pin_waiting": "位置を調べています…",
    "report_pin_done": "位置を付けました",
    "report_pin_failed": "位置がわかりませんでした。住所を書いてください",
    "report_photo": "写真（なくてもかまいません・5 MB まで）",
    "case_photo": "写真",
    "case_pin": "位置",
    "case_photo_gone": "この写真はありません。",
    "report_send": "知らせる",
    "report_problems": "入力を確かめてください。",
    "report_done_title": "受け付けました",
    "report_done": (
        "お知らせありがとうございました。地域包括支援センターに届きました。お仕事に戻ってください。"
    ),
    "report_again": "ほかにも知らせる",
    "report_unknown_title": "このリンクは使えません",
    "report_unknown": (
        "このお知らせ用リンクは登録されていません。地域包括支援センターにお問い合わせください。"
    ),
    "report_revoked_title": "このリンクは使えなくなりました",
    "report_revoked": (
        "このお知らせ用リンクは、地域包括支援センターが停止しました。"
        "気づいたことは、センターに電話でお知らせください。命に関わるときは 119 / 110 へ。"
    ),
    "report_busy_title": "しばらくお待ちください",
    "report_busy": (
        "このリンクからのお知らせが多すぎるため、1時間ほど受け付けを止めています。"
        "急ぐときは電話でお知らせください。"
    ),
    # the desk: partners
    "public_title": "気づいたことのお知らせ（住民の方）",
    "public_intro": (
        "近所のお年寄りのことで気になることがあれば、地域包括支援センターにお知らせください。"
        "お名前は要りません。"
    ),
    "public_area": "地域（担当の地域包括支援センター）",
    "public_contact": "センターからの連絡先（電話・メールなど。なくてもかまいません）",
    "public_busy": (
        "この住所についてのお知らせが続いたため、1時間ほど受け付けを止めています。"
        "急ぐときは電話でお知らせください。"
    ),
    "desk_partners": "協力事業者",
    "partner_id": "ID",
    "partner_name": "名前",
    "partner_kind": "種類",
    "partner_areas": "地域",
    "partner_add": "登録する",
    "partner_new": "新しい協力事業者",
    "pkind_newspaper": "新聞販売店",
    "pkind_delivery": "宅配・配達",
    "pkind_meter": "検針",
    "pkind_utility": "電気・ガス・水道",
    "pkind_store": "コンビニ・商店",
    "pkind_bank": "金融機関",
    "pkind_post": "郵便局",
    "pkind_neighbourhood": "自治会・町内会",
    "pkind_resident": "住民",
    "pkind_other": "その他",
    "partner_links": "お知らせ用リンク",
    "partner_link_label": "使う人・支店",
    "partner_link_channel": "結果を知らせる先（mailto:// など、なくても可）",
    "partner_link_lang": "言葉",
    "partner_link_issue": "リンクを作る",
    "partner_link_made": "新しいリンクです。この画面でしか表示されません。本人に渡してください:",
    "card_title": "お知らせ用 QR カード",
    "card_heading": "気づいたら、地域包括支援センターへ",
    "card_how": "スマートフォンのカメラで読み取ると、お知らせの画面が開きます（1分で終わります）。",
    "card_revoked": (
        "このカードのリンクは停止されました。このカードは使えません。処分してください。"
    ),
    "card_print": "ブラウザの「印刷」で印刷してください（カードだけが印刷されます）。",
    "partner_link_card": "QR カードを印刷する",
    "partner_link_revoke": "停止する",
    "partner_link_revoked": "停止済み",
    "partner_link_active": "使用中",
    "partner_link_feedback": "結果の連絡先あり",
    "partner_line_none": "LINE: 未連携",
    "partner_line_bound": "LINE: 連携済み",
    "partner_line_unfollowed": "LINE: 連携が外れました（ブロック・友だち削除）",
    "partner_line_code_issue": "LINE 連携の番号を発行する",
    "anomalies_title": "検針データの異常（CSV）",
    "anomalies_help": (
        "1行目は household,date,kind,value。kind は water_still（水道メーターが動いていない）"
        "か power_score（電力データのスコア、value に 0〜100）。検針データの利用に同意した方の"
        "世帯だけが案件になります。"
    ),
    "anomalies_import": "取り込む",
    "anomalies_result": (
        "{filed}行を{cases}件の案件にしました。同意のない世帯: {no_consent}行"
        "（案件にしていません）。誤り: {refused}行。"
    ),
    "anomalies_already": "{already}行は前に取り込み済みです（もう一度は案件にしていません）。",
    "anomalies_no_consent": "同意のない世帯の行:",
    "anomalies_line": "行",
    # the desk: cases
    "desk_cases": "案件",
    "case_title": "案件 {n}",
    "case_where": "場所",
    "case_area": "地域",
    "case_state": "状態",
    "case_reports": "お知らせ",
    "case_opened": "受付",
    "case_assigned": "担当",
    "case_state_new": "新規",
    "case_state_triaged": "対応中",
    "case_state_closed": "終了",
    "triage_visit": "訪問する",
    "triage_phone": "電話する",
    "triage_police_fire": "警察・消防へ",
    "triage_watch": "様子を見る",
    "triage_no_action": "対応しない",
    "case_triage": "対応を決める",
    "case_triage_note": "メモ",
    "case_close": "終了する",
    "case_outcome": "結果",
    "case_note": "記録を書く",
    "case_note_text": "記録",
    "case_assign": "担当を決める",
    "case_alerts": "この世帯の通知",
    "case_timeline": "経過",
    "step_report": "お知らせ",
    "step_note": "記録",
    "step_triage": "対応",
    "step_assign": "担当",
    "step_close": "終了",
    "step_route": "経路",
    # monthly figures (cases/figures.py)
    "figures_title": "案件の集計（月ごと）",
    "figures_month": "月",
    "figures_show": "表示する",
    "figures_hidden_note": (
        "お宅が特定されないよう、{n}未満の数は「{x}」と表示します"
        "（一つだけ隠れるときは、引き算でわからないよう次に小さい数も「{x}」にします）。"
    ),
    "figures_opened": "新しい案件",
    "figures_decided": "対応を決めた案件",
    "figures_median": "対応を決めるまで（中央値・時間）",
    "figures_p90": "対応を決めるまで（90%の案件・時間）",
    "figures_by_kind": "お知らせ（知らせた人）",
    "figures_by_noticed": "お知らせ（気づいたこと）",
    "figures_closed": "終了した案件",
    "pkind_public": "住民（公開フォーム）",
    "pkind_not_seen": "見守りの記録（N日見かけない）",
    "triage_none": "対応を決めずに終了",
    "desk_figures": "集計",
    # my cases (cases/mine.py)
    "mine_title": "担当の案件",
    "mine_noticed": "気づいたこと",
    "mine_todo": "すること",
    "mine_todo_pending": "センターが決めるまでお待ちください",
    "mine_none": "担当の案件はありません",
    "case_unassigned": "（未定）",
}
