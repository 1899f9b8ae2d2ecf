"""An example orchcore plugin: one status-line segment."""
