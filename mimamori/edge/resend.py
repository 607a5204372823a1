"""When a gateway sends again what the hub has not confirmed (docs/protocol.md,
"Delivery guarantees"). Pure logic over the monotonic clock; the uplink reports what
it sees and asks.

1. After a (re)connect, sending resumes from the oldest unconfirmed event if the hub
   is up; otherwise from the first event the broker never acknowledged. With the hub
   away, the broker most likely still holds the rest in the hub's queue, and copies
   would only lengthen that queue (a town's gateways flapping on bad lines would
   multiply it).
2. While the hub is up and published events wait for its ack, an ack that has not
   moved for ``delay`` means something was lost between the gateway and the hub's
   store (a broker that crashed before saving, a hub whose transaction died): send
   again from the oldest unconfirmed event. ``delay`` starts at ``resend_after_s``,
   doubles after every resend that brought no progress (up to ``RESEND_MAX_S``), and
   returns to ``resend_after_s`` when the ack moves.
3. The hub is up while any of its workers' retained presence says online, and also
   while none was ever heard (a hub of an older version, or an ACL that hides the
   presence): a missing signal must never stop resends for good; the back-off bounds
   the copies instead. The wait of rule 2 is counted only while the hub is up and
   something waits, so a hub that comes back gets ``resend_after_s`` to work through
   the queue the broker kept for it before anything is sent twice.
"""

from __future__ import annotations

# A hub that is up but does not confirm (its store failing, an epoch it cannot
# place) gets each gateway's backlog again at most every ten minutes.
RESEND_MAX_S = 600.0
# Presence is kept per hub worker; more than this many names is not a real hub.
MAX_WORKERS = 64


class ResendPolicy:
    def __init__(self, resend_after_s: float, now: float, max_delay_s: float = RESEND_MAX_S):
        self.base = resend_after_s
        self.max_delay = max(max_delay_s, resend_after_s)
        self.delay = resend_after_s
        self.confirmed = 0  # the highest seq the hub confirmed, for this outbox's epoch
        self.resends = 0
        self._since = now  # since when the ack has not moved while something waited
        self._workers: dict[str, bool] = {}

    @property
    def hub_up(self) -> bool:
        return not self._workers or any(self._workers.values())

    def acked(self, seq: int, now: float) -> bool:
        """The hub's ack for our epoch; True if it moved (acks only ever go up here:
        several hub workers may publish theirs out of order)."""
        if seq <= self.confirmed:
            return False
        self.confirmed = seq
        self._since = now
        self.delay = self.base
        return True

    def presence(self, worker: str, online: bool) -> None:
        if worker in self._workers or len(self._workers) < MAX_WORKERS:
            self._workers[worker] = online

    def start_from(self, published_through: int) -> int:
        """Rule 1: the seq after which a new connection starts sending."""
        return self.confirmed if self.hub_up else max(self.confirmed, published_through)

    def resend_now(self, now: float, *, waiting: bool) -> bool:
        """Rule 2, asked regularly while connected; ``waiting``: events the broker
        acknowledged wait for the hub's ack. True: send again from ``confirmed``."""
        if not waiting or not self.hub_up:
            self._since = now
            return False
        if now - self._since < self.delay:
            return False
        self._since = now
        self.delay = min(self.delay * 2, self.max_delay)
        self.resends += 1
        return True
