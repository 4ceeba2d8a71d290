"""The core's ports in SQL, written once for every backend: one module per aggregate the ports declare,
and one for the unit of work that holds them all.

Statements use PostgreSQL's ``$1`` placeholders (the SQLite backend
rewrites them to ``?1``) and only SQL both databases speak. Values always
travel as parameters; the only names placed in SQL text come from the
fixed tables in these modules, never from a caller.
"""
