"""The pure domain core: rules, code formats, lifecycle; no I/O."""
