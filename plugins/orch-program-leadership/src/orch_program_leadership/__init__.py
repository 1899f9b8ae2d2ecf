"""leadership_chat: an orchcore program where the main agent chairs a meeting of director agents."""

__version__ = "0.1.0"
