"""Audit: the tamper-evident event chain, re-execution, exports and the SLA report."""
