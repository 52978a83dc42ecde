"""The run folder, the interface between stages: its layout (`layout`), the stages that write it (`pipeline`)
and the readers of a finished run (`reader`, `view`)."""
