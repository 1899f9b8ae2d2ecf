"""config_manager: an orchcore program for viewing and changing the project's configuration safely."""

__version__ = "0.1.0"
