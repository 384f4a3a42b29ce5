"""cruxmap: map arguments as claims and reductions, and find their cruxes."""

__version__ = "0.1.0"
