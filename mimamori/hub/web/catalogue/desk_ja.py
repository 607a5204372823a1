"""The desk's texts (the register's pages, issue 14), 日本語; merged into the pages'
catalogue by ``i18n.py``. Keys are the same in ``desk_en.py``, in the same order."""

TEXT: dict[str, str] = {
    "desk_title": "窓口（見守りの台帳）",
    "desk_people": "見守る方",
    "desk_reviews": "今月の見直し",
    "desk_households": "世帯",
    "desk_contacts": "連絡先",
    "desk_families": "家族",
    "desk_watch_points": "見守りポイント",
    "desk_policies": "通知の方針",
    "desk_audit": "変更の記録",
    "desk_new": "新しく登録する",
    "desk_edit": "変更する",
    "desk_save": "保存する",
    "desk_search": "探す",
    "desk_q": "名前・ふりがなの初め",
    "desk_filter_area": "地域",
    "desk_filter_household": "世帯 ID",
    "desk_filter_tag": "タグ",
    "desk_filter_review": "見直しが今月までの方だけ",
    "desk_any": "（すべて）",
    "desk_count": "{n}件",
    "desk_prev": "前へ",
    "desk_next": "次へ",
    "desk_none": "該当するものはありません",
    "desk_forbidden_title": "この台帳は表示できません",
    "desk_forbidden": "この台帳の項目は、担当する地域の職員と管理者だけが見たり変えたりできます。",
    "desk_missing_title": "見つかりません",
    "desk_missing": "この項目は登録されていません。",
    "desk_problems": "入力を確かめてください。",
    "desk_stale": (
        "ほかの人が先にこの項目を変更しました。あなたの変更は保存していません。"
        "読み直してから、もう一度変更してください。"
    ),
    "desk_reload": "読み直す",
    "desk_version": "版 {n}",
    "problem_attr": "ja",
    "desk_record": "記録",
    "desk_consents": "同意（目的ごと）",
    "desk_consent_purpose": "目的",
    "desk_consent_by": "同意した人",
    "desk_consent_relation": "本人との関係",
    "desk_consent_at": "同意の日",
    "desk_consent_record": "同意書の保管場所",
    "desk_consent_withdrawn": "撤回の日",
    "desk_consent_in_force": "有効",
    "desk_consent_none": "同意の記録はありません（位置情報は記録されません）",
    "desk_consent_withdraw": "撤回を記録する",
    "desk_consent_save": "同意を記録する",
    "desk_contacts_order": "緊急連絡先（連絡する順）",
    "desk_contact_add": "連絡先を加える",
    "desk_up": "上へ",
    "desk_down": "下へ",
    "desk_remove": "外す",
    "desk_review": "年に一度の見直し",
    "desk_review_due": "見直し日: {day}",
    "desk_review_none": "見直し日は決まっていません",
    "desk_review_done": "見直しを終えた（次は1年後）",
    "desk_photo_of": "{name} さんの写真",
    "desk_photo_none": "写真はまだありません（捜索のときに警察へ渡す写真です）",
    "desk_photo_choose": "写真（JPEG・PNG・WebP、5 MB まで）",
    "desk_photo_upload": "写真を登録する",
    "desk_photo_note": "撮影場所（GPS）などの情報は取り除いて保存します",
    "desk_families_of": "見守る家族",
    "desk_none_yet": "まだありません",
    "purpose_location": "位置情報（見守りポイントでの確認）",
    "purpose_search": "捜索（行方不明のとき警察などと共有）",
    "purpose_checkin": "安否確認（民生委員・家族と共有）",
    "purpose_meter": "電力・メーターの情報",
    "relation_self": "本人",
    "relation_guardian": "成年後見人",
    "relation_family": "家族",
    "relation_other": "その他",
    "f_id": "ID（半角の英小文字・数字・.-_）",
    "f_area": "地域（担当の地域包括支援センター）",
    "f_name": "名前",
    "f_reading": "ふりがな",
    "f_birth_date": "生年月日",
    "f_address": "住所",
    "f_phone": "電話",
    "f_household": "暮らしている世帯",
    "f_tags": "タグ（1行に1つ）",
    "f_description": "捜索のための特徴（身長・服装・話し方など）",
    "f_key_holder": "鍵を預かっている人",
    "f_minsei": "担当の民生委員",
    "f_review_on": "次の見直し日",
    "f_not_seen_days": "「N日見かけない」の日数（空欄: 地域の設定か3日）",
    "f_notes": "メモ",
    "f_gateways": "ゲートウェイ ID（1行に1つ）",
    "f_evacuation_support": "避難行動要支援者",
    "f_policy": "通知の方針 ID",
    "f_timezone": "タイムゾーン",
    "f_relation": "続柄・立場（長男、民生委員など）",
    "f_lang": "連絡の言語",
    "f_channels": "通知先 URL（1行に1つ。空欄なら今のまま）",
    "f_people": "見守る方の ID（1行に1つ）",
    "f_households": "世帯 ID（1行に1つ）",
    "f_lat": "緯度",
    "f_lon": "経度",
    "f_site": "場所の種類",
    "f_host": "設置先（協力事業者）",
    "f_installed_on": "設置日",
    "f_steps": "段階（1行に「分 [訪問|電話]: 連絡先ID, 連絡先ID」。"
    "例: 120 訪問: r-volunteer-0001）",
    "f_night_steps": "夜間・休日の段階（書き方は段階と同じ。空なら昼と同じ）",
    "f_routes": "種類ごとの段階（1行に「種類 [夜間] 分 [訪問|電話]: 連絡先ID」。"
    "例: sos 夜間 0: r-on-call）",
    "f_office_hours": "業務時間（例: 08:30-17:15。平日のみ、祝日は夜間扱い。空なら常に昼）",
    "f_repeat_min": "繰り返す間隔（分）",
    "f_handling_timeout_min": "「対応します」で待つ時間（分。過ぎたら次の人へ）",
    "f_by": "同意した人の名前",
    "f_at": "同意の日",
    "f_record": "同意書の保管場所",
    "f_purpose": "目的",
    "f_contact": "連絡先",
    "choice_lang_ja": "日本語",
    "choice_lang_en": "English",
    "choice_site_vending": "自動販売機",
    "choice_site_shop": "お店",
    "choice_site_home": "お宅",
    "choice_site_other": "その他",
    "choice_none": "（なし）",
    "desk_line_none": "LINE: まだ登録されていません",
    "desk_line_usage": "LINE の今月（{month}）の通数: {pushed} / {allowance} 通（{percent} %）",
    "desk_line_usage_warning": (
        "プランの通数の 80 % に達しました。上限に達すると、LINE の通知はほかの連絡手段で"
        "送られます。プランの見直しを管理者にご相談ください。"
    ),
    "desk_line_bound": "LINE: 登録済み",
    "desk_line_unfollowed": "LINE: 登録が外れました（ブロック・友だち削除）",
    "desk_line_code_issue": "LINE 登録の番号を発行する",
    "desk_line_code_title": "LINE 登録の番号",
    "desk_line_code_expires": (
        "{at} まで、1回だけ使えます。新しい番号を発行すると、この番号は使えなくなります。"
    ),
    "desk_line_code_link": "番号入りでトークを開くリンク",
    "desk_line_code_how": (
        "ご本人・ご家族に、町の LINE 公式アカウントを友だち追加して、"
        "この番号をトークに送ってもらってください"
        "（QR コードを読み取ると、番号が入った状態でトークが開きます）。"
        "登録できると LINE で返信が届き、"
        "この連絡先のページに「登録済み」と表示されます。"
    ),
    "desk_channels_set": "通知先: {n}件登録済み（内容は表示しません）",
    "desk_confirmation": "登録の確認",
    "desk_confirmed": "確認済み",
    "desk_not_confirmed": "確認待ち",
    "desk_not_asked": "未送信（通知先がありません）",
    "desk_unconfirmed": "確認待ちの連絡先",
    "desk_residents": "暮らしている方",
    "desk_checkins": "安否確認（元気だよボタン）",
    "desk_checkin_state": "いまの状態",
    "desk_checkin_ok": "確認できています",
    "desk_checkin_due": "確認の時刻を過ぎています",
    "desk_checkin_missed": "確認がありません（お知らせ中）",
    "desk_checkin_unknown": "まだ情報がありません",
    "desk_checkin_next": "次の確認の期限",
    "desk_checkin_last": "最後の確認",
    "desk_checkin_note": (
        "確認の予定（曜日・時刻）は世帯のゲートウェイの設定にあります。"
        "ここには、ゲートウェイが最後に知らせた期限を表示します。"
    ),
    "desk_audit_at": "日時",
    "desk_audit_who": "誰が",
    "desk_audit_what": "何を",
    "desk_audit_entry": "項目",
    "desk_audit_change": "変更の内容",
    "desk_audit_masked": "（個人の情報は表示しません）",
    "desk_audit_forgotten": "（忘れる手続きで消されました。内容は残っていません）",
    "kind_person": "見守る方",
    "kind_household": "世帯",
    "kind_contact": "連絡先",
    "kind_family": "家族",
    "kind_watch_point": "見守りポイント",
    "kind_policy": "通知の方針",
    "kind_area": "地域",
    "desk_broker": "ブローカーのアカウント",
    "desk_broker_make": "ブローカーのアカウントを作る",
    "desk_broker_made": (
        "ゲートウェイ {id} のブローカーのパスワードです。"
        "この画面でだけ、一度だけ表示します（ハブには残りません）。"
    ),
    "desk_broker_renewed": (
        "新しいパスワードです。ブローカーがファイルを読み直すと、古いパスワードは使えなくなります。"
    ),
    "desk_broker_where": (
        "このパスワードだけを、ゲートウェイの {path} に書きます"
        "（所有者だけが読めるように chmod 600）。gateway.yaml には次の行を書きます:"
    ),
    "desk_broker_reload": (
        "ブローカーは、mimamori-broker-reload.path が有効ならファイルを自分で読み直します"
        "（docs/deploy.md）。有効でないときは: systemctl reload mosquitto"
    ),
    "desk_broker_exists": "アカウントがあります（パスワードは表示しません）。",
    "desk_broker_none": "まだアカウントがありません。",
    "desk_broker_unconfigured": (
        "このハブの設定には hub.mosquitto（ブローカーのファイル）がないため、"
        "ここではアカウントを作れません。"
    ),
    "desk_broker_renew": "新しいパスワードにする",
    "desk_broker_renew_note": (
        "新しいパスワードにすると、ゲートウェイのパスワードも書き換えるまで、"
        "ゲートウェイはつながりません。"
    ),
    "desk_broker_admins_title": "管理者だけができます",
    "desk_broker_admins": "ブローカーのアカウントは管理者が作ります。",
    "desk_broker_unwritable": (
        "ハブはブローカーのファイルを書けませんでした。何も変えていません。"
        "ブローカーのある機械で mimamori hub gateway add を使うか、"
        "ハブにブローカーのディレクトリを書かせてください（docs/deploy.md の Broker files）。"
    ),
    "desk_broker_exists_already": (
        "この見守りポイントにはアカウントがすでにあります。パスワードは変えていません。"
        "新しいパスワードにするときは、見守りポイントのページの「新しいパスワードにする」を押してください。"
    ),
    "desk_to_desk": "窓口",
    "confirm_title": "緊急連絡先の登録の確認",
    "confirm_text": (
        "{contact} 様: {people} さんの緊急連絡先として登録されています。"
        "心配なことが起きたとき、お知らせが届き、電話での確認や訪問をお願いすることがあります。"
    ),
    "confirm_button": "確認しました",
    "confirm_done": "確認いただき、ありがとうございました。",
    "confirm_unknown_title": "このリンクは使えません",
    "confirm_unknown": (
        "リンクが正しくないか、新しいお知らせで置き換えられました。"
        "最新のお知らせのリンクを開いてください。"
    ),
    "confirm_expired_title": "このリンクは期限が切れました",
    "confirm_expired": (
        "確認のリンクは送ってから 30 日間だけ使えます。"
        "お手数ですが、担当の地域包括支援センターにご連絡ください。新しいお知らせをお送りします。"
    ),
}
