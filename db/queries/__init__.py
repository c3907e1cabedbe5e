"""The read layer: one function per question, per feature, plain typed rows out.

Pages read through these modules only; services (``services/``) keep the writes. Shared SQL
state groups and filters are in ``predicates``; the scope value every query takes is ``Scope``.
"""
