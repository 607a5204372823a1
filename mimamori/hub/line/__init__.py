"""The town's LINE Official Account (docs/line.md): the webhook's events (linking by
code, answers to notices, unfollows), and notices pushed through the delivery queue.
Everything goes through LINE's own SDK (``line-bot-sdk`` v3)."""
