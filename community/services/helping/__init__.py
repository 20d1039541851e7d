"""邻里互助: a resident asks for a hand, neighbours offer, the reward waits in escrow.

Money. A reward is a wallet hold for the escrow account, placed in the transaction that
opens the request; its lifetime is the open window plus ``HOLD_GRACE``. Completion captures
all of it to the helper's wallet (``hold_take``, final); cancellation and expiry void it; a
dispute lets the estate's property staff pay the helper, return it, or split it.

Locks. The help request row first (``select_for_update`` on that row only), then the
wallet's helpers lock the hold and the accounts in their own order. Every change of state
re-reads the request under that lock, so two accepts, or a completion racing a
cancellation, are decided by who locks first; the loser gets ``help_not_open`` or
``help_wrong_state``. Services that move money run in one durable transaction, through
``wallet.services.idempotency.execute`` when the caller sends an Idempotency-Key.

Deadlines, kept by ``help_requests_sweep`` (a beat task every few minutes):

* an open request past ``expires_at`` expires and its hold is voided;
* a request the helper marked done completes by itself ``CONFIRM_WINDOW`` later unless the
  requester confirmed or disputed it first;
* a request still holding money ``HOLD_SAFETY`` before the hold's own expiry is settled
  here, never by the wallet's expiry: marked done -> the helper is paid; accepted but not
  done -> the reward returns to the requester (status expired); disputed and not decided
  by staff in time -> the reward returns to the requester and the dispute is closed with a
  note saying so. If the wallet's expiry got there first anyway (a stopped beat), the money
  is already back with the requester and the request is closed without moving any.

Notifications go through ``core.notifications.notify`` (inbox now, live push on commit);
the wallet adds its own payment notices when a reward is captured.

Where it lives: ``requests`` (open, offer, withdraw, accept, mark done, complete, cancel),
``disputes``, ``ratings``, ``deadlines`` (the sweep); helpers they share in ``_common``.
The reads are in ``community.selectors_helping``; this package re-exports them, and every
public name of its modules, so ``helping.help_accept(...)`` and ``helping.help_board(...)``
work as they did before the split.
"""

from community.selectors_helping import (
    RatingSummary,
    help_board,
    help_offer_for,
    help_offers_of,
    help_request_for,
    help_requests_of,
    help_requests_visible,
    rating_summaries,
    rating_summary,
)
from community.services.helping._common import HOLD_GRACE, HelpResult, OfferStatus, Status
from community.services.helping.deadlines import (
    CONFIRM_WINDOW,
    HOLD_SAFETY,
    help_requests_sweep,
)
from community.services.helping.disputes import (
    DisputeOutcome,
    help_dispute_open,
    help_dispute_resolve,
)
from community.services.helping.ratings import help_rate
from community.services.helping.requests import (
    DEFAULT_OPEN_FOR,
    MAX_OPEN_FOR,
    MIN_OPEN_FOR,
    help_accept,
    help_cancel,
    help_complete,
    help_mark_done,
    help_offer,
    help_offer_withdraw,
    help_request_open,
)

__all__ = [
    "CONFIRM_WINDOW",
    "DEFAULT_OPEN_FOR",
    "HOLD_GRACE",
    "HOLD_SAFETY",
    "MAX_OPEN_FOR",
    "MIN_OPEN_FOR",
    "DisputeOutcome",
    "HelpResult",
    "OfferStatus",
    "RatingSummary",
    "Status",
    "help_accept",
    "help_board",
    "help_cancel",
    "help_complete",
    "help_dispute_open",
    "help_dispute_resolve",
    "help_mark_done",
    "help_offer",
    "help_offer_for",
    "help_offer_withdraw",
    "help_offers_of",
    "help_rate",
    "help_request_for",
    "help_request_open",
    "help_requests_of",
    "help_requests_sweep",
    "help_requests_visible",
    "rating_summaries",
    "rating_summary",
]
