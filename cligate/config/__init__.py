"""Configuration: where it lives, what it holds, how it is stored."""
