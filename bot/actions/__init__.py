"""Custom actions of the municipal assistant (run with `rasa run actions --actions actions`)."""
