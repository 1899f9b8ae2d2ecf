"""An example orchcore program: ``review``, the main agent as a code-review desk."""
