"""Hook specifications of the scores service (re-exported by crm_core.hookspecs).

The score store adds no hooks: models write through
:func:`crm_core.scores.score_store`, and subscribers follow the
``score.updated`` event.
"""
