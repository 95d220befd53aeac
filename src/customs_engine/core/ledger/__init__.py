"""The run's ledger: documents and their versions, authorisation debits and reversals, bond
balances, replays, units, and the read-only view in-sequence hooks get.
"""
