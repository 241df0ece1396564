"""Adapters: everything that touches the outside world (mailboxes, disk, parsing libraries).

Adapters translate; they never decide. Decisions live in ``assistant.domain``.
"""
