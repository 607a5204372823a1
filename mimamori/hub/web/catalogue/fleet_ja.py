"""The technician's pages (the fleet, a gateway's enrollment): Japanese."""

TEXT: dict[str, str] = {
    "desk_fleet": "ゲートウェイ一覧",
    "fleet_title": "ゲートウェイ一覧（技術担当）",
    "fleet_note": "問題のあるゲートウェイが先に並びます。1 分ごとに自動で更新されます。",
    "fleet_all": "すべて",
    "fleet_any_problem": "問題あり",
    "fleet_count": "{n} 台",
    "fleet_gateway": "ゲートウェイ",
    "fleet_problems": "問題",
    "fleet_state": "接続",
    "fleet_receivers": "受信機",
    "fleet_outbox": "未送信",
    "fleet_restarts": "起動（24 時間）",
    "fleet_clock": "時計のずれ",
    "fleet_disk": "空き容量",
    "fleet_version": "版",
    "fleet_well": "正常",
    "fleet_online": "オンライン",
    "fleet_offline": "オフライン",
    "fleet_never": "未接続",
    "fleet_since": "{when} から",
    "fleet_last_status": "最終報告 {ago}",
    "fleet_driver_up": "稼働",
    "fleet_driver_down": "停止",
    "fleet_driver_starting": "起動中",
    "fleet_per_min": "毎分 {n} 件",
    "fleet_last_advert": "最終受信 {ago}",
    "fleet_seconds": "{n} 秒",
    "fleet_disk_free": "{mb} MB（{pct} %）",
    "fleet_spark": "過去 24 時間（最大 毎分 {peak} 件）",
    "fleet_spark_note": (
        "受信機の線は過去 24 時間の毎分の受信件数です"
        "（15 分ごと。赤は何も受信しなかった 15 分、途切れは記録のない時間）。"
    ),
    "fleet_spark_none": "過去 24 時間の記録なし",
    "fleet_view_list": "一覧で見る",
    "fleet_view_map": "地図で見る",
    "fleet_map_title": "ゲートウェイの地図（技術担当）",
    "fleet_map_note": (
        "ゲートウェイを置き場所に点で示し、状態で色分けします。点を押すと見守りポイントの"
        "ページに移ります。1 分ごとに自動で更新されます。"
    ),
    "fleet_health_offline": "オフライン",
    "fleet_health_deaf": "受信機が受信していない",
    "fleet_health_alert": "ほかの技術アラート",
    "fleet_health_never": "未接続",
    "fleet_health_quiet": "静か（直近の受信なし）",
    "fleet_health_ok": "正常",
    "enroll_title": "ゲートウェイの登録コード",
    "enroll_section": "登録コード（QR）",
    "enroll_note": (
        "設置する Pi で 1 回だけ使えるコードと QR を作ります。"
        "パスワードを人が書き写す必要はありません。"
    ),
    "enroll_make": "登録コードを作る",
    "enroll_admins": "登録コードは管理者だけが作れます。",
    "enroll_unconfigured": (
        "このハブではゲートウェイの登録を受け付けていません"
        "（hub.enrollment と hub.mosquitto の設定が必要です）。"
    ),
    "enroll_made": "{id} の登録コードを作りました。",
    "enroll_expires": "有効期限: {when} まで（{min} 分間・1 回だけ）",
    "enroll_qr": "スマートフォンで読み取ると、Pi で実行するコマンドになります",
    "enroll_run": "設置する Pi で、次のコマンドを実行してください:",
    "enroll_once": (
        "このコードはこの画面にだけ表示されます。"
        "使われたか期限が切れたら、新しいコードを作ってください。"
    ),
}
