"""The run folder, the interface between stages: its layout (`layout`), the stages that write it (`pipeline`)
and the reader of a finished run (`reader`)."""

STAGE_NAMES = ("translate", "score", "flag", "report")
"""The pipeline's stages in order (here so that `mteval --help` needs no import of the pipeline)."""
