# The ledger arrives with the wallet issue; the app is installed now so that the layers
# and migrations are in place from the first commit.
