"""A gateway's config editor at the desk (issue 20): Japanese."""

TEXT: dict[str, str] = {
    "gwconfig_link": "設定",
    "gwconfig_title": "ゲートウェイの設定",
    "gwconfig_note": (
        "このゲートウェイの設定ファイル（YAML）です。保存すると `mimamori check` と同じ検査を"
        "してから、このゲートウェイだけに送ります。受信機が時間内に動かなければ、"
        "ゲートウェイが自分で前の設定に戻します。個人情報は書かないでください。"
    ),
    "gwconfig_yaml": "設定ファイル（YAML）",
    "gwconfig_save": "検査して送る",
    "gwconfig_problems": "設定に問題があります。保存も送信もしていません：",
    "gwconfig_saved": "版 {version} を保存し、ゲートウェイに送りました。結果は下の履歴に出ます。",
    "gwconfig_not_sent": (
        "版 {version} を保存しましたが、ブローカーにつながっていないため送れませんでした。"
        "つながってから、もう一度保存してください。"
    ),
    "gwconfig_empty": (
        "まだハブに設定がありません。ゲートウェイの設定ファイルを貼り付けてください。"
    ),
    "gwconfig_history": "履歴",
    "gwconfig_version": "版",
    "gwconfig_state": "状態",
    "gwconfig_by": "変更した人",
    "gwconfig_at": "日時",
    "gwconfig_reason": "ゲートウェイの返事",
    "gwconfig_hash": "設定ハッシュ",
    "gwconfig_state_proposed": "未送信",
    "gwconfig_state_sent": "送信済み（返事待ち）",
    "gwconfig_state_applied": "適用済み",
    "gwconfig_state_rolled_back": "元に戻した",
    "gwconfig_state_refused": "拒否された",
    "gwconfig_running": "いま動いている設定：{hash}",
}
