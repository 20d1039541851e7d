"""`make bench`: benchmarks print figures and ratios against a baseline run in the same
process. The ledger benchmark arrives with the wallet; until then this lists what exists."""

BENCHMARKS: list[str] = []

if __name__ == "__main__":
    if not BENCHMARKS:
        print("No benchmarks yet: the ledger benchmark (bench/ledger.py) comes with the wallet.")
