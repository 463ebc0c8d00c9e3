"""People who read and write on the deck: accounts, roles, sessions and the audit log.

Nothing here knows about Dash or Flask: the web app calls these functions, and
`wbr users` calls the same ones.
"""
