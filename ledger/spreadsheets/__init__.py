"""Spreadsheets in and out (SPEC §9): opinion import, ledger and opinion export, the ledger round trip."""
