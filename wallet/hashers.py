"""The payment PIN's hasher.

A PIN has a million possible values, so no hash cost makes a stolen hash safe on its own;
what protects it is the lock after five wrong tries and a pepper kept outside the database.
The PIN is first keyed with an HMAC under the deployment's secret key, then hashed with
PBKDF2 at a cost sized for a check on every payment (a few milliseconds, not the 0.2 s of a
login password): a copy of the database alone does not allow guessing PINs offline.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.crypto import salted_hmac


class PinHasher(PBKDF2PasswordHasher):
    algorithm = "wallet_pin_pbkdf2"
    iterations = 20_000


def peppered(pin: str) -> str:
    return salted_hmac("wallet.pin", pin, algorithm="sha256").hexdigest()
