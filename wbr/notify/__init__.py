"""Notifications of the weekly ritual: messages, the outbox, e-mail and webhooks.

`messages` builds what is said; `recipients` says to whom (owner keys → addresses
through one function, "unexplained" through one function); `outbox` queues one row
per (event, recipient) and remembers what was sent; `email` and `webhook` deliver;
`dispatch` sends what is pending.
"""
