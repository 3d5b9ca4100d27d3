"""Platform adapters: the only code that speaks to Facebook, X and YouTube."""
