"""The bank-style fault test (``make chaos``): see docs/chaos.md."""
